"""hyperclient under abuse: every method with arguments of every wrong type raises a Python
exception (never crashes the interpreter), reference counts stay put on the get, search and
Deferred paths including their errors, and the GIL is released while a call waits on a daemon
that does not answer (SIGSTOPped)."""
import gc
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import hyperclient
from hyperclient import HyperClientException

SPACE = ('space abuse key name attributes string first, int age, float height, list(string) ls, '
         'set(float) sf, map(string, int) msi, map(string, string) mss subspace first, age')
RAISES = (TypeError, ValueError, OverflowError, HyperClientException)

ATTRS_METHODS = ['put', 'put_if_not_exist', 'atomic_add', 'atomic_sub', 'atomic_mul', 'atomic_div', 'atomic_mod',
                 'atomic_and', 'atomic_or', 'atomic_xor', 'string_prepend', 'string_append', 'list_lpush',
                 'list_rpush', 'set_add', 'set_remove', 'set_intersect', 'set_union']
MAP_METHODS = ['map_add', 'map_atomic_add', 'map_atomic_sub', 'map_atomic_mul', 'map_atomic_div', 'map_atomic_mod',
               'map_atomic_and', 'map_atomic_or', 'map_atomic_xor', 'map_string_prepend', 'map_string_append']


def with_async(names):
    return names + ['async_' + n for n in names]


# method -> the roles of its arguments, in order
SHAPES = {}
for _m in with_async(['get', 'delete']):
    SHAPES[_m] = ('space', 'key')
for _m in with_async(ATTRS_METHODS):
    SHAPES[_m] = ('space', 'key', 'attrs')
for _m in with_async(MAP_METHODS):
    SHAPES[_m] = ('space', 'key', 'mapattrs')
for _m in with_async(['map_remove']):
    SHAPES[_m] = ('space', 'key', 'mapkeys')
for _m in with_async(['condput', 'cond_put']):
    SHAPES[_m] = ('space', 'key', 'pred', 'attrs')
for _m in ['search', 'count', 'group_del', 'async_count', 'async_group_del']:
    SHAPES[_m] = ('space', 'pred')

GOOD = {'space': 'abuse', 'key': 'k', 'attrs': {'first': 'x'}, 'mapattrs': {'msi': {'a': 1}},
        'mapkeys': {'msi': ['a']}, 'pred': {'first': 'x'}}


class RaisingIter(list):
    def __iter__(self):
        raise RuntimeError('from __iter__')


def recursive_list():
    r = []
    r.append(r)
    return r


def recursive_dict():
    r = {}
    r['first'] = r
    return r


NOT_A_NAME = [None, 1, 1.5, 2 ** 70, [], ['abuse'], ('abuse',), {}, {'abuse'}, object(), bytearray(b'abuse'),
              memoryview(b'abuse'), 'abu\0se', b'abu\0se', '\ud800', type, 1j, Ellipsis]
NOT_A_KEY = [None, [], ['k'], ('k',), {}, {'k'}, frozenset(), object(), bytearray(b'k'), memoryview(b'k'), 2 ** 64,
             -2 ** 63 - 1, 2 ** 1000, '\ud800', 1j, Ellipsis, len]
# wrong as a whole: not a dict, or a dict of wrong names
NOT_A_DICT = [None, 1, 'first', b'first', [('first', 'x')], ('first', 'x'), {'first'}, object(), iter({}),
              {1: 'x'}, {None: 'x'}, {2 ** 70: 'x'}, {('first',): 'x'}, {'fir\0st': 'x'}, {'\ud800': 'x'}]
# wrong values of a put-like call (scalars, containers, nested containers, huge ints)
BAD_VALUES = [{'first': None}, {'first': object()}, {'first': '\ud800'}, {'first': [None]}, {'first': [[1]]},
              {'first': [1, 'a']}, {'first': {(1,): 1}}, {'first': {1: [1]}}, {'first': {None: 1}},
              {'first': {'a': object()}}, {'first': {'a': {'b': 1}}}, {'first': {frozenset(): 1}},
              {'first': recursive_list()}, recursive_dict(), {'first': iter([])}, {'first': range(2)},
              {'first': 1j}, {'first': bytearray(b'x')}, {'first': memoryview(b'x')}, {'first': True.__class__},
              {'age': 2 ** 64}, {'age': -2 ** 63 - 1}, {'age': 2 ** 1000}, {'age': [2 ** 64]}, {'age': {2 ** 64}},
              {'age': (1, 2 ** 64)}, {'msi': {'a': 2 ** 64}}, {'msi': {2 ** 64: 1}}, {'msi': {'a': 1, b'a': 2}},
              {'ls': ['a', b'\xff', 1]}, {'sf': {1.5, 'x'}}, {'age': 'old'}, {'nope': 1}]
# wrong operands of a map operation {map attribute: {map key: value}}
BAD_MAP_OPERANDS = [{'msi': None}, {'msi': 1}, {'msi': ['a']}, {'msi': {'a': None}}, {'msi': {None: 1}},
                    {'msi': {'a': [1]}}, {'msi': {('a',): 1}}, {'msi': {'a': {'b': 1}}}, {'msi': {'a': 2 ** 64}},
                    {'msi': {2 ** 64: 1}}, {'msi': {'\ud800': 1}}, {'msi': {'a': object()}}, {'msi': recursive_list()},
                    {'nope': {'a': 1}}, {'first': {'a': 1}}]
# wrong keys for map_remove {map attribute: keys}
BAD_MAP_KEYS = [{'msi': None}, {'msi': object()}, {'msi': [None]}, {'msi': [['a']]}, {'msi': {('a',): 1}},
                {'msi': 2 ** 64}, {'msi': [2 ** 70]}, {'msi': '\ud800'}, {'msi': recursive_list()}, {'nope': ['a']}]
# wrong predicates: ranges that are not (lower, upper) of scalars, bounds out of range
BAD_PREDICATES = [{'age': (object(), 1)}, {'age': (1, None)}, {'age': (None, None)}, {'age': (1, 2 ** 70)},
                  {'age': (2 ** 64, 1)}, {'age': ([1], [2])}, {'age': ('a', 1)}, {'first': {'a': object()}},
                  {'first': None}, {'age': 2 ** 64}, {'nope': 1}]

WRONG = {
    'space': NOT_A_NAME,
    'key': NOT_A_KEY,
    'attrs': NOT_A_DICT + BAD_VALUES + [{'first': RaisingIter(['a'])}],
    'mapattrs': NOT_A_DICT + BAD_MAP_OPERANDS,
    'mapkeys': NOT_A_DICT + BAD_MAP_KEYS,
    'pred': NOT_A_DICT + BAD_VALUES[:12] + BAD_PREDICATES,
}


UNTOUCHED = {'first': 'y', 'age': 5, 'height': 0.5, 'ls': ['q'], 'sf': {2.5}, 'msi': {'n': 1}, 'mss': {'s': 't'}}


def good_attrs(method):
    """Attributes the method accepts, so that only the argument made wrong can fail the call."""
    op = method[len('async_'):] if method.startswith('async_') else method
    if op.startswith('atomic_'):
        return {'age': 1}
    if op.startswith('list_'):
        return {'ls': 'a'}
    if op in ('set_add', 'set_remove'):
        return {'sf': 1.5}
    if op.startswith('set_'):
        return {'sf': {1.5}}
    return {'first': 'x'}


@pytest.fixture(scope='module')
def c(cluster, client):
    client.add_space(SPACE)
    assert client.put('abuse', 'k', {'first': 'x', 'age': 1, 'msi': {'a': 1}}) is True
    assert client.put('abuse', 'untouched', UNTOUCHED) is True
    return client


def outcome(call):
    """Runs a call to its end (waits on a Deferred, drains a Search); returns the exception it
    raised, or None."""
    try:
        r = call()
        if isinstance(r, hyperclient.Search):
            list(r)
        elif isinstance(r, hyperclient.Deferred):
            r.wait()
    except RAISES as e:
        return e
    except RuntimeError as e:
        # the caller's own code (a list subclass's __iter__) failing: its exception comes through
        assert str(e) == 'from __iter__'
        return e
    return None


@pytest.mark.parametrize('method', sorted(SHAPES))
def test_every_method_refuses_every_wrong_argument(c, method):
    fn = getattr(c, method)
    roles = SHAPES[method]
    good = [good_attrs(method) if r == 'attrs' else GOOD[r] for r in roles]
    if method.startswith(('map_string', 'async_map_string')):
        good[2] = {'mss': {'a': 'x'}}
    assert outcome(lambda: fn(*good)) is None, 'the good arguments of %s fail' % method
    unraised = []
    for i, role in enumerate(roles):
        for wrong in WRONG[role]:
            args = list(good)
            args[i] = wrong
            if outcome(lambda: fn(*args)) is None:
                unraised.append('%s: %s=%.60r' % (method, role, wrong))
    for n in (0, len(roles) - 1, len(roles) + 1):
        if outcome(lambda: fn(*good[:n] + [None] * max(0, n - len(roles)))) is None:
            unraised.append('%s with %d arguments' % (method, n))
    assert unraised == []
    # and the client still works
    assert c.get('abuse', 'untouched') == UNTOUCHED


def test_sorted_search_loop_space_and_constructor_arguments(cluster, c):
    ok = c.sorted_search('abuse', {'first': 'y'}, 'age', 10, 'max')
    assert [x['name'] for x in ok] == ['untouched']
    cases = [lambda v: c.sorted_search(v, {}, 'age', 10, 'max'),
             lambda v: c.sorted_search('abuse', {}, v, 10, 'max'),
             lambda v: c.add_space(v), lambda v: c.rm_space(v)]
    unraised = [(i, v) for i, case in enumerate(cases) for v in NOT_A_NAME if outcome(lambda: case(v)) is None]
    unraised += [('predicate', v) for v in NOT_A_DICT + BAD_PREDICATES
                 if outcome(lambda: c.sorted_search('abuse', v, 'age', 10, 'max')) is None]
    for limit in [None, 'ten', 1.5, -1, 2 ** 64, [10]]:
        if outcome(lambda: c.sorted_search('abuse', {}, 'age', limit, 'max')) is None:
            unraised.append(('limit', limit))
    for maxmin in [None, 'sideways', 1.5, [], b'max', object()]:
        if outcome(lambda: c.sorted_search('abuse', {}, 'age', 10, maxmin)) is None:
            unraised.append(('maxmin', maxmin))
    for t in ['soon', None, [], float('nan'), 2 ** 2000]:
        if outcome(lambda: c.loop(t)) is None:
            unraised.append(('loop', t))
    for args in [(None, cluster.port), (1, cluster.port), ('127.0.0.1', None), ('127.0.0.1', 'port'),
                 ('127.0.0.1', 0), ('127.0.0.1', 65536), ('127.0.0.1', -1), ('127.0.0.1', 2 ** 70),
                 ('127.\0.0.1', cluster.port), ('127.0.0.1', cluster.port, 0), ('127.0.0.1', cluster.port, -1.0),
                 ('127.0.0.1', cluster.port, float('nan')), ('127.0.0.1', cluster.port, 'long'),
                 ('no.such.host.invalid', cluster.port), ('127.0.0.1',), ()]:
        if outcome(lambda: hyperclient.Client(*args)) is None:
            unraised.append(('Client', args))
    for args in [(), ('8449',), (None, 'a'), (2 ** 70,)]:
        try:
            str(HyperClientException(*args))
            unraised.append(('HyperClientException', args))
        except (TypeError, OverflowError):
            pass
    assert unraised == []
    assert c.count('abuse', {'first': 'y'}) == 1


def test_objects_the_module_never_made(c):
    # a Client whose __init__ never ran, Deferreds and Searches made from Python
    raw = hyperclient.Client.__new__(hyperclient.Client)
    with pytest.raises(ValueError):
        raw.get('abuse', 'k')
    with pytest.raises(ValueError):
        raw.loop(0.1)
    # raw.close() is CRASHERS['close_uninitialised'], run in a child
    for t in (hyperclient.Deferred, hyperclient.DeferredGet, hyperclient.Search, hyperclient.SortedSearch):
        with pytest.raises(TypeError):
            t()

    class MyGet(hyperclient.DeferredGet):
        pass

    class MySearch(hyperclient.Search):
        pass

    for t in (MyGet, MySearch):
        try:
            made = t()
        except TypeError:
            continue
        # when Python lets a subclass be made, using it raises rather than crashes
        with pytest.raises(RAISES + (StopIteration,)):
            made.wait() if hasattr(made, 'wait') else next(made)
    import copy
    for obj in (c, c.async_get('abuse', 'k')):
        with pytest.raises(TypeError):
            copy.copy(obj)
    c.loop()


CRASHERS = {
    # a list subclass whose __iter__ adds ranges to the predicate being read: search sized its range
    # array by the predicate's length before the conversion ran, and wrote past it
    'search_predicate_grows': '''
class Grow(list):
    def __iter__(self):
        for i in range(64):
            pred['r%d' % i] = (1, 2)
        return list.__iter__(self)
pred = {'first': Grow(['a']), 'age': (1, 2)}
try:
    list(c.search('abuse', pred))
except (TypeError, ValueError, hyperclient.HyperClientException):
    pass
''',
    # the same code deleting the attribute being read: its name and value were borrowed references
    # (the freed name is usually still readable: this one is certain to fail only under a sanitizer)
    'attrs_shrink': '''
class Shrink(list):
    def __iter__(self):
        attrs.clear()
        return list.__iter__(self)
for method in ('put', 'map_remove', 'count', 'cond_put'):
    attrs = {''.join(['fi', 'rst']): Shrink(['a']), ''.join(['ag', 'e']): 3}
    fn = getattr(c, method)
    try:
        fn('abuse', attrs) if method == 'count' else (
            fn('abuse', 'k', attrs, {}) if method == 'cond_put' else fn('abuse', 'k', attrs))
    except (TypeError, ValueError, hyperclient.HyperClientException):
        pass
''',
    # close() of a Client whose __init__ never ran took a lock that did not exist
    'close_uninitialised': '''
hyperclient.Client.__new__(hyperclient.Client).close()
''',
}


@pytest.mark.parametrize('name', sorted(CRASHERS))
def test_crash_regressions_in_a_child_interpreter(cluster, c, name):
    # a crash would kill pytest itself; in a child it is a failed test that says which
    prog = 'import hyperclient, gc\nc = hyperclient.Client("127.0.0.1", %d)\n%s\ngc.collect()\nprint("survived")\n' % (
        cluster.port, CRASHERS[name])
    r = subprocess.run([sys.executable, '-X', 'faulthandler', '-c', prog], capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode('utf-8', 'replace')
    assert r.returncode == 0 and 'survived' in out, out


# ---- reference counts ---------------------------------------------------------------------------

def fresh(text):
    """A str that is not interned, so that its count is ours alone."""
    return ''.join(list(text))


def test_reference_counts_on_get_search_and_deferred_paths_and_their_errors(c):
    space, key, absent = fresh('abuse'), fresh('refs'), fresh('absent')
    first, big = fresh('first'), 2 ** 62
    value = {first: fresh('text'), fresh('age'): big, fresh('ls'): [fresh('a')], fresh('msi'): {fresh('m'): 7}}
    pred = {first: value[first]}
    rng = {fresh('age'): (big - 1, big + 1)}
    overflow = {fresh('age'): 4}
    bad_value = {first: object()}
    unknown = {fresh('nope'): value[first]}
    nospace = fresh('no such space')
    local = object()  # a local of the frames that call wait() on a failed Deferred
    assert c.put(space, key, value) is True
    probes = [space, key, absent, first, big, value, value[first], value['ls'], value['msi'], pred, rng, overflow,
              bad_value, bad_value[first], unknown, nospace, local]

    def same(got):
        return got is not None and {k: got[k] for k in value} == value

    def expect(exc_type, call):
        try:
            call()
        except exc_type:
            return
        raise AssertionError('%r did not raise %s' % (call, exc_type))

    kept = {'failed': c.async_atomic_mul(space, key, overflow)}

    def wait_failed(d, held):
        try:
            d.wait()
        except HyperClientException as e:
            assert e.status() == hyperclient.HYPERCLIENT_OVERFLOW and held is local
            return
        raise AssertionError('no exception')

    def exercise():
        for _ in range(20):
            # get: found, not found, unknown space (refused before sending), a wrong key type
            assert same(c.get(space, key))
            assert c.get(space, absent) is None
            expect(HyperClientException, lambda: c.get(nospace, key))
            expect(TypeError, lambda: c.get(space, [key]))
            # search: results, no results, an error refused at the call, an error met while iterating
            assert [x[first] for x in c.search(space, pred)] == [value[first]]
            assert list(c.search(space, {first: absent})) == []
            expect(HyperClientException, lambda: c.search(space, unknown))
            expect(HyperClientException, lambda: c.search(space, {fresh('name'): key}))
            assert [x['name'] for x in c.sorted_search(space, rng, 'age', 3, 'min')] == [key]
            expect(TypeError, lambda: c.search(space, {first: bad_value[first]}))
            s = c.search(space, pred)
            next(s)
            del s  # dropped before its end
            # Deferreds: success, not found, waited twice, through loop(), errors from the daemon
            d = c.async_get(space, key)
            assert same(d.wait()) and same(d.wait())
            assert c.async_get(space, absent).wait() is None
            d = c.async_put(space, key, value)
            # loop() hands back whatever made progress (the dropped search, say) until d
            assert any(c.loop() is d for _ in range(100)) and d.wait() is True
            d = c.async_atomic_mul(space, key, overflow)
            expect(HyperClientException, d.wait)
            expect(HyperClientException, d.wait)
            # the same failed Deferred raised again and again (its traceback must not grow)
            wait_failed(kept['failed'], local)
            assert c.async_delete(space, absent).wait() is False
            expect(HyperClientException, lambda: c.async_put(space, key, unknown))
            expect(HyperClientException, lambda: c.async_get(nospace, key))
            expect(TypeError, lambda: c.async_put(space, key, bad_value))
            assert c.async_count(space, pred).wait() == 1
            assert c.condput(space, key, pred, value) is True
            gone = c.async_get(space, key)
            del gone  # dropped before completion
            c.loop()

    def counts():
        gc.collect()
        return [sys.getrefcount(p) for p in probes]

    exercise()  # warm caches
    before = counts()
    exercise()
    after = counts()
    assert after == before, [(repr(p)[:40], b, a) for p, b, a in zip(probes, before, after) if a != b]


# ---- the GIL --------------------------------------------------------------------------------------

def test_the_gil_is_released_while_a_call_waits_on_a_stopped_daemon(new_cluster):
    cl = new_cluster()
    cl.start_coordinator()
    daemon = cl.start_daemon()
    cl.add_space('space slow key k attributes string v')
    timeout_s = 3.0
    client = hyperclient.Client('127.0.0.1', cl.port, timeout=timeout_s)
    assert client.put('slow', 'a', {'v': 'x'}) is True
    started, finished = threading.Event(), threading.Event()
    result = {}

    def waiter():
        started.set()
        t0 = time.monotonic()
        try:
            result['value'] = client.get('slow', 'a')
        except HyperClientException as e:
            result['status'] = e.status()
        result['waited_s'] = time.monotonic() - t0
        finished.set()

    os.kill(daemon.pid, signal.SIGSTOP)
    try:
        t = threading.Thread(target=waiter)
        t.start()
        assert started.wait(10)
        # pure Python on this thread while the other waits: it must keep running, with no pause
        # anywhere near the wait's length (a held GIL would stop it for the whole timeout)
        iterations, max_gap_s, last = 0, 0.0, time.monotonic()
        deadline = last + 3 * timeout_s + 10
        while not finished.is_set() and last < deadline:
            iterations += sum(range(50))
            now = time.monotonic()
            max_gap_s = max(max_gap_s, now - last)
            last = now
        t.join(10)
    finally:
        os.kill(daemon.pid, signal.SIGCONT)
    assert not t.is_alive()
    assert result.get('status') == hyperclient.HYPERCLIENT_TIMEOUT, result
    assert result['waited_s'] >= timeout_s * 0.9
    assert iterations > 0
    assert max_gap_s < timeout_s / 2, max_gap_s
    # once the daemon runs again the client answers (the timed-out request's late answer is dropped)
    client.close()
    again = hyperclient.Client('127.0.0.1', cl.port, timeout=30)
    assert again.get('slow', 'a') == {'v': 'x'}
    again.close()
