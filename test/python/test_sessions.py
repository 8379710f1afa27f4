"""The manual's interactive sessions (seed 000 ch. 3-5, the 1.0 tutorial's async/atomic chapter) run
line by line against real clusters.

A session file (sessions/*.txt) is prose, `$` command lines and `>>>` examples, in the manual's
order. `$` lines start the coordinator and daemons and run add-space with the manual's command
lines, rewritten only where a test must: ports become ephemeral, data directories temporary,
127.0.0.2 becomes 127.0.0.1, logging is quieter. The `>>>` examples run as a doctest in which the
manual's port numbers (1234, 1982, ...) stand for the real ones.

The checker compares output as text first. When that fails and both sides read as Python literals
(with the manual's `set([...])` spelling), it compares the values: Python 3 prints dicts in
insertion order and sets in its own spelling, where the manual shows Python 2's hash order and
`set([...])`. It also takes `<hyperclient.X object at ...>` for any address and for an instance of
a subclass of X, and a str printed bare where the manual forgot its quotes. Nothing else is lenient.
"""
import ast
import doctest
import pathlib
import re
import shlex

import pytest

from conftest import Cluster

SESSIONS = pathlib.Path(__file__).parent / 'sessions'
UNORDERED = doctest.register_optionflag('UNORDERED')


def literal(text):
    """The value of a Python literal, `set([...])` included; raises ValueError otherwise."""
    tree = ast.parse(text.strip(), mode='eval')

    def ev(node):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == 'set' \
                and not node.keywords and len(node.args) <= 1:
            return set(ev(node.args[0])) if node.args else set()
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.List):
            return [ev(e) for e in node.elts]
        if isinstance(node, ast.Tuple):
            return tuple(ev(e) for e in node.elts)
        if isinstance(node, ast.Set):
            return {ev(e) for e in node.elts}
        if isinstance(node, ast.Dict):
            return {ev(k): ev(v) for k, v in zip(node.keys, node.values)}
        raise ValueError('not a literal: %s' % ast.dump(node))

    return ev(tree.body)


def same_multiset(a, b):
    if not isinstance(a, list) or not isinstance(b, list) or len(a) != len(b):
        return False
    rest = list(b)
    for x in a:
        for i, y in enumerate(rest):
            if x == y:
                del rest[i]
                break
        else:
            return False
    return True


class ManualChecker(doctest.OutputChecker):
    def __init__(self, globs):
        self.globs = globs

    def check_output(self, want, got, optionflags):
        if super().check_output(want, got, optionflags):
            return True
        m = re.fullmatch(r'<hyperclient\.(\w+) object at [^>]*>\n', want)
        g = re.fullmatch(r'<hyperclient\.(\w+) object at 0x[0-9a-f]+>\n', got)
        if m and g:
            import hyperclient
            return issubclass(getattr(hyperclient, g.group(1)), getattr(hyperclient, m.group(1)))
        try:
            got_value = literal(got)
        except (SyntaxError, ValueError):
            return False
        try:
            want_value = literal(want)
        except (SyntaxError, ValueError):
            # the manual printed a str without its quotes
            return isinstance(got_value, str) and got_value == want.strip()
        if optionflags & UNORDERED:
            return same_multiset(want_value, got_value)
        return want_value == got_value


def substitute_ports(text, ports):
    for manual, real in ports.items():
        text = re.sub(r'(hyperclient\.Client\([^,]+,\s*)%d\)' % manual, r'\g<1>%d)' % real, text)
    return text


def run_command(cluster, line, stdin):
    """Runs one of the manual's `$` lines on `cluster`."""
    argv = shlex.split(line)
    name, args = argv[0], argv[1:]
    if name == 'hyperdex-coordinator' or (name == 'hyperdex' and args[:1] == ['coordinator']):
        legacy = name == 'hyperdex-coordinator'
        opts = dict(zip(args[::1], args[1::1]))
        if legacy:
            cluster.start_coordinator(legacy=True, manual_port=int(opts['--host-port']),
                                      manual_control_port=int(opts['--control-port']))
        else:
            cluster.start_coordinator(manual_port=int(opts.get('-p', opts.get('--listen-port', 1982))))
        return
    if name == 'hyperdex-daemon' or (name == 'hyperdex' and args[:1] == ['daemon']):
        cluster.start_daemon(legacy=name == 'hyperdex-daemon')
        return
    if 'add-space' in args or 'rm-space' in args:
        out = []
        for i, a in enumerate(args):
            if i > 0 and args[i - 1] in ('--port', '-p') and a.isdigit():
                a = str(cluster.ports[int(a)])
            out.append(a)
        cluster.run(name, out, stdin)
        return
    raise AssertionError('the session harness does not know how to run: %s' % line)


def segments(text):
    """Splits a session into ('doctest', text) and ('command', line, stdin) pieces, in order."""
    lines = text.splitlines(keepends=True)
    pieces = []
    chunk = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith('$ '):
            if chunk:
                pieces.append(('doctest', ''.join(chunk)))
                chunk = []
            command = line[2:].rstrip('\n')
            stdin = ''
            while command.endswith('\\'):
                i += 1
                command = command[:-1] + ' ' + lines[i].strip()
            heredoc = re.search(r'<<\s*(\w+)\s*$', command)
            if heredoc:
                command = command[:heredoc.start()].rstrip()
                body = []
                i += 1
                while lines[i].rstrip('\n') != heredoc.group(1):
                    body.append(lines[i])
                    i += 1
                stdin = ''.join(body)
            pieces.append(('command', command, stdin))
        else:
            chunk.append(line)
        i += 1
    if chunk:
        pieces.append(('doctest', ''.join(chunk)))
    return pieces


def run_session(path):
    cluster = Cluster()
    globs = {'__name__': 'session'}
    parser = doctest.DocTestParser()
    checker = ManualChecker(globs)
    failures = []
    try:
        for n, piece in enumerate(segments(path.read_text())):
            if piece[0] == 'command':
                run_command(cluster, piece[1], piece[2])
                continue
            source = substitute_ports(piece[1], cluster.ports)
            test = parser.get_doctest(source, globs, '%s[%d]' % (path.name, n), str(path), 0)
            out = []
            runner = doctest.DocTestRunner(checker=checker, verbose=False,
                                           optionflags=doctest.NORMALIZE_WHITESPACE)
            result = runner.run(test, out=out.append, clear_globs=False)
            if result.failed:
                failures.append(''.join(out))
        examples = sum(1 for _ in re.finditer(r'^>>> ', path.read_text(), re.M))
    finally:
        client = globs.get('c')
        if client is not None:
            client.close()
        cluster.stop()
    return failures, examples


@pytest.mark.parametrize('name', sorted(p.name for p in SESSIONS.glob('*.txt')))
def test_session(name):
    failures, examples = run_session(SESSIONS / name)
    assert examples > 10
    assert not failures, '\n'.join(failures)
