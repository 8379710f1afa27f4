"""Resident memory of a long put/get loop through the Python module (`npm run soak:python`).

Starts its own cluster (a coordinator and one daemon, the documented command lines, ephemeral
ports, temporary directories; stopped by PID), then runs SOAK_OPS operations (default 1,000,000),
alternately a put and a get of one of 1,000 keys (so the store itself stays the same size), with
values of every kind the module converts (str, bytes, int, float, list, set, map) and every 16th
get of a key that does not exist. Prints the process's RSS after every tenth of the run and its
growth from the first tenth (100,000 operations by default) to the end; exits 1 when that growth
is 5 % or more (SOAK_LIMIT_PCT), 0 otherwise."""
import sys
import time

import cluster as bench_cluster
import hyperclient

SPACE = ('space soak key k attributes string s, int i, float f, list(string) ls, set(int) si, '
         'map(string, int) msi')
KEYS = 1000


def rss_kib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise RuntimeError('no VmRSS in /proc/self/status')


def value(i):
    return {'s': 'text %d ' % i + 'x' * (i % 64), 'i': i, 'f': i / 7.0, 'ls': ['a%d' % (i % 5)] * (i % 4),
            'si': set(range(i % 6)), 'msi': {'m%d' % j: j for j in range(i % 3)}}


def soak(c, ops, report):
    tenth = ops // 10
    for n in range(ops):
        i = n // 2
        key = 'key%d' % (i % KEYS)
        if n % 2 == 0:
            if c.put('soak', key, value(i)) is not True:
                raise RuntimeError('put %s failed' % key)
        elif i % 16 == 15:
            if c.get('soak', b'absent%d' % i) is not None:
                raise RuntimeError('an absent key was found')
        elif c.get('soak', key) is None:
            raise RuntimeError('get %s found nothing' % key)
        if (n + 1) % tenth == 0:
            report(n + 1)


def main():
    ops = bench_cluster.env_int('SOAK_OPS', 1_000_000)
    limit_pct = bench_cluster.env_float('SOAK_LIMIT_PCT', 5.0)
    if ops < 10:
        raise SystemExit('SOAK_OPS must be at least 10')
    cl = bench_cluster.start(1)
    try:
        cl.add_space(SPACE)
        c = hyperclient.Client('127.0.0.1', cl.port)
        marks = []
        start = time.monotonic()

        def report(done):
            marks.append((done, rss_kib()))
            print('%9d ops  RSS %7d KiB  %6.1f s' % (done, marks[-1][1], time.monotonic() - start), flush=True)

        print('soak: %d put/get operations, RSS at start %d KiB' % (ops, rss_kib()), flush=True)
        soak(c, ops, report)
        c.close()
    finally:
        cl.stop()
    base_ops, base = marks[0]
    end_ops, end = marks[-1]
    growth_pct = 100.0 * (end - base) / base
    print('RSS growth from %d to %d operations: %+d KiB (%+.2f %%), limit %.1f %%' %
          (base_ops, end_ops, end - base, growth_pct, limit_pct))
    return 0 if growth_pct < limit_pct else 1


if __name__ == '__main__':
    sys.exit(main())
