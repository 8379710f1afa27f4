"""Real HyperDex clusters for the Python tests: coordinators and daemons started with the documented
command lines (node bin/*.js) on 127.0.0.1, ephemeral ports and temporary data directories, and
stopped by PID when the test ends, whether it passed or not."""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
NODE = os.environ.get('HYPERDEX_NODE') or shutil.which('node') or 'node'
STARTUP_S = 20.0
STOP_S = 10.0
COMMAND_S = 30.0

# The manual's command names -> the scripts that implement them.
BINS = {
    'hyperdex': 'hyperdex.js',
    'hyperdex-coordinator': 'hyperdex-coordinator.js',
    'hyperdex-daemon': 'hyperdex-daemon.js',
    'hyperdex-coordinator-control': 'hyperdex-coordinator-control.js',
}


class Proc:
    """A started server; a thread keeps reading its output so the pipe never fills."""

    def __init__(self, argv):
        self.argv = argv
        self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, cwd=str(ROOT))
        self.pid = self.popen.pid
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.popen.stdout:
            with self.cond:
                self.lines.append(raw.decode('utf-8', 'replace'))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def output(self):
        with self.cond:
            return ''.join(self.lines)

    def wait_for(self, pattern, timeout_s=STARTUP_S):
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while True:
                m = re.search(pattern, ''.join(self.lines))
                if m:
                    return m
                if self.popen.poll() is not None and not self.reader.is_alive():
                    raise RuntimeError('%s exited (%s) before printing %r:\n%s'
                                       % (' '.join(self.argv), self.popen.returncode, pattern, ''.join(self.lines)))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError('%s did not print %r within %.0f s:\n%s'
                                       % (' '.join(self.argv), pattern, timeout_s, ''.join(self.lines)))
                self.cond.wait(min(left, 0.5))

    def stop(self):
        if self.popen.poll() is None:
            os.kill(self.pid, 9)
        try:
            self.popen.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            pass
        self.reader.join(timeout=STOP_S)


def bin_argv(name, args):
    return [NODE, str(ROOT / 'bin' / BINS[name])] + list(args)


class Cluster:
    """A coordinator and daemons. `ports` maps the port numbers a manual writes to the real ones."""

    def __init__(self):
        self.procs = []
        self.dirs = []
        self.host = '127.0.0.1'
        self.port = None
        self.control_port = None
        self.ports = {}

    def tempdir(self, label):
        d = tempfile.mkdtemp(prefix='hyperdex-py-%s-' % label)
        self.dirs.append(d)
        return d

    def spawn(self, name, args):
        p = Proc(bin_argv(name, args))
        self.procs.append(p)
        return p

    def start_coordinator(self, legacy=False, manual_port=None, manual_control_port=None):
        data = self.tempdir('coord')
        if legacy:
            p = self.spawn('hyperdex-coordinator',
                           ['--host-port', '0', '--control-port', '0', '--data', data, '--logging', 'warn'])
            m = p.wait_for(r'serving on 127\.0\.0\.1:(\d+) and port (\d+)')
            self.control_port = int(m.group(2))
        else:
            p = self.spawn('hyperdex', ['coordinator', '-f', '-l', '127.0.0.1', '-p', '0', '-D', data,
                                        '--logging', 'warn'])
            m = p.wait_for(r'serving on 127\.0\.0\.1:(\d+)')
        self.port = int(m.group(1))
        if manual_port is not None:
            self.ports[manual_port] = self.port
        if manual_control_port is not None:
            self.ports[manual_control_port] = self.control_port
        return p

    def start_daemon(self, legacy=False):
        data = self.tempdir('daemon')
        if legacy:
            p = self.spawn('hyperdex-daemon', ['--host', '127.0.0.1', '--port', str(self.port), '--bind-to',
                                               '127.0.0.1', '--data', data, '--logging', 'warn'])
        else:
            p = self.spawn('hyperdex', ['daemon', '-f', '--listen=127.0.0.1', '--listen-port=0',
                                        '--coordinator=127.0.0.1', '--coordinator-port=%d' % self.port,
                                        '--data=%s' % data, '--logging=warn'])
        p.wait_for(r'hyperdex daemon \d+ \[pid \d+\] serving on 127\.0\.0\.1:\d+')
        return p

    def run(self, name, args, stdin=''):
        """Runs a command line (add-space, rm-space) to completion, bounded in time."""
        r = subprocess.run(bin_argv(name, args), input=stdin.encode(), capture_output=True, cwd=str(ROOT),
                           timeout=COMMAND_S)
        if r.returncode != 0:
            raise RuntimeError('%s %s failed (%d): %s' % (name, ' '.join(args), r.returncode,
                                                          (r.stdout + r.stderr).decode('utf-8', 'replace')))
        return r.stdout.decode('utf-8', 'replace')

    def add_space(self, description):
        return self.run('hyperdex', ['add-space', '-h', '127.0.0.1', '-p', str(self.port)], description)

    def stop(self):
        for p in reversed(self.procs):
            p.stop()
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def new_cluster():
    """A factory of clusters, all stopped when the test ends."""
    made = []

    def make():
        c = Cluster()
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()


@pytest.fixture(scope='module')
def cluster():
    """A coordinator and three daemons (1.0 command lines) shared by a test module."""
    c = Cluster()
    try:
        c.start_coordinator()
        for _ in range(3):
            c.start_daemon()
        yield c
    finally:
        c.stop()


@pytest.fixture(scope='module')
def client(cluster):
    import hyperclient
    c = hyperclient.Client('127.0.0.1', cluster.port)
    yield c
    c.close()
