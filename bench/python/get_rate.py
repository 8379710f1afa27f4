"""Gets per second through the Python module, the same two loops as bench/c/get_rate.c (see there):

    python3 bench/python/get_rate.py HOST PORT SPACE OBJECTS SECONDS WINDOW

sync: one get in flight (Client.get); async: WINDOW async_gets in flight, each completion handed
back by Client.loop() and replaced by a new one. Every get must find its object. Prints one JSON
line with the same fields as the C program (cpu_us_per_op: this process's CPU time per get)."""
import json
import sys
import time

import hyperclient


def run_sync(c, space, objects, seconds):
    n = 0
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        if c.get(space, 'key%d' % (n % objects)) is None:
            raise SystemExit('get_rate.py: key%d not found' % (n % objects))
        n += 1
    return n, time.monotonic() - start


def run_async(c, space, objects, seconds, window):
    start = time.monotonic()
    end = start + seconds
    outstanding = set()
    started = completed = 0
    for _ in range(window):
        outstanding.add(c.async_get(space, 'key%d' % (started % objects)))
        started += 1
    # after the deadline no new gets: the window drains, and every started get is counted
    while outstanding:
        d = c.loop(10.0)
        outstanding.remove(d)
        if d.wait() is None:
            raise SystemExit('get_rate.py: a get found nothing')
        completed += 1
        if time.monotonic() < end:
            outstanding.add(c.async_get(space, 'key%d' % (started % objects)))
            started += 1
    return completed, time.monotonic() - start


def main():
    if len(sys.argv) != 7:
        raise SystemExit('usage: get_rate.py HOST PORT SPACE OBJECTS SECONDS WINDOW')
    host, port, space = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    objects, seconds, window = int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
    c = hyperclient.Client(host, port)
    cpu0 = time.process_time()
    sync_ops, sync_s = run_sync(c, space, objects, seconds)
    cpu1 = time.process_time()
    async_ops, async_s = run_async(c, space, objects, seconds, window)
    cpu2 = time.process_time()
    c.close()
    print(json.dumps({'sync_ops': sync_ops, 'sync_s': round(sync_s, 3), 'sync_ops_per_s': round(sync_ops / sync_s),
                      'sync_cpu_us_per_op': round(1e6 * (cpu1 - cpu0) / sync_ops, 1),
                      'async_ops': async_ops, 'async_s': round(async_s, 3),
                      'async_ops_per_s': round(async_ops / async_s),
                      'async_cpu_us_per_op': round(1e6 * (cpu2 - cpu1) / async_ops, 1), 'window': window},
                     separators=(',', ':')))


if __name__ == '__main__':
    main()
