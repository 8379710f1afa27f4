"""Informational: gets per second from Python, synchronous and asynchronous (a window of 1,000
outstanding), and resident memory over a long put/get loop. Starts its own cluster (a coordinator
and three daemons) like the tests:

    python3 test/python/bench_get.py [--objects N] [--seconds S] [--loop-ops N]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hyperclient  # noqa: E402
from conftest import Cluster  # noqa: E402


def rss_kib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--objects', type=int, default=10000)
    ap.add_argument('--seconds', type=float, default=5.0)
    ap.add_argument('--window', type=int, default=1000)
    ap.add_argument('--loop-ops', type=int, default=0, help='put/get operations for the memory check (0: skip)')
    args = ap.parse_args()
    cluster = Cluster()
    try:
        cluster.start_coordinator()
        for _ in range(3):
            cluster.start_daemon()
        cluster.add_space('space kv key k attributes string v, int n')
        c = hyperclient.Client('127.0.0.1', cluster.port)
        window = [c.async_put('kv', 'key%d' % i, {'v': 'value %d' % i, 'n': i}) for i in range(args.objects)]
        assert all(d.wait() for d in window)

        n, start = 0, time.monotonic()
        while time.monotonic() - start < args.seconds:
            for _ in range(100):
                c.get('kv', 'key%d' % (n % args.objects))
                n += 1
        sync = n / (time.monotonic() - start)

        n, start = 0, time.monotonic()
        outstanding = set()
        while time.monotonic() - start < args.seconds:
            while len(outstanding) < args.window:
                outstanding.add(c.async_get('kv', 'key%d' % (n % args.objects)))
                n += 1
            d = c.loop()
            outstanding.discard(d)
            assert d.wait() is not None
        for d in outstanding:
            d.wait()
        asyn = n / (time.monotonic() - start)
        print('sync get: %.0f ops/s; async get (window %d): %.0f ops/s' % (sync, args.window, asyn))

        if args.loop_ops:
            base = None
            for i in range(args.loop_ops):
                k = 'mem%d' % (i % 1000)
                c.put('kv', k, {'v': 'x' * (i % 50), 'n': i})
                c.get('kv', k)
                if i + 1 == min(100000, args.loop_ops // 10):
                    base = rss_kib()
            end = rss_kib()
            print('put/get loop of %d: RSS %d KiB after the first tenth (<= 100,000), %d KiB at the end (%+.1f %%)'
                  % (args.loop_ops, base, end, 100.0 * (end - base) / base))
        c.close()
    finally:
        cluster.stop()


if __name__ == '__main__':
    main()
