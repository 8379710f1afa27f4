"""`npm run bench:python`: gets per second from Python (bench/python/get_rate.py) beside the same
loops from C (bench/c/get_rate.c, built here with cc against build/native/libhyperclient.a), both
against one fresh cluster of a coordinator and 3 daemons (the documented command lines,
ephemeral ports, temporary directories, stopped by PID).

Loads BENCH_OBJECTS objects (default 10,000), then runs the C and the Python program in turn,
BENCH_ROUNDS times each (default 2), each doing BENCH_SECONDS (default 5) of synchronous gets (one
in flight) and as long with a window of BENCH_WINDOW (default 1,000) gets in flight. Prints a
table of the best round of each and records every round in bench/results/python-<date>.json."""
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile

import cluster as bench_cluster
import hyperclient

ROOT = bench_cluster.ROOT
SPACE = 'space kv key k attributes string v, int n'
LOAD_WINDOW = 1000
RUN_TIMEOUT_S = 300


def build_c(out_dir):
    cc = os.environ.get('CC') or shutil.which('cc') or 'cc'
    lib = os.environ.get('HYPERCLIENT_LIBRARY', str(ROOT / 'build' / 'native' / 'libhyperclient.a'))
    exe = os.path.join(out_dir, 'get_rate')
    argv = [cc, '-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-D_POSIX_C_SOURCE=200809L',
            '-I', str(ROOT / 'native' / 'include'), str(ROOT / 'bench' / 'c' / 'get_rate.c'), lib, '-o', exe]
    subprocess.run(argv, check=True, timeout=RUN_TIMEOUT_S)
    return exe


def load(port, objects):
    c = hyperclient.Client('127.0.0.1', port)
    for base in range(0, objects, LOAD_WINDOW):
        window = [c.async_put('kv', 'key%d' % i, {'v': 'value %d' % i, 'n': i})
                  for i in range(base, min(objects, base + LOAD_WINDOW))]
        if not all(d.wait() is True for d in window):
            raise RuntimeError('loading failed')
    c.close()


def run(argv):
    r = subprocess.run(argv, capture_output=True, timeout=RUN_TIMEOUT_S)
    if r.returncode != 0:
        raise RuntimeError('%s failed (%d): %s' % (' '.join(argv), r.returncode,
                                                   (r.stdout + r.stderr).decode('utf-8', 'replace')))
    return json.loads(r.stdout.decode().strip().splitlines()[-1])


def main():
    objects = bench_cluster.env_int('BENCH_OBJECTS', 10000)
    seconds = bench_cluster.env_float('BENCH_SECONDS', 5.0)
    window = bench_cluster.env_int('BENCH_WINDOW', 1000)
    rounds = bench_cluster.env_int('BENCH_ROUNDS', 2)
    daemons = 3
    tmp = tempfile.mkdtemp(prefix='hyperdex-bench-python-')
    runs = {'c': [], 'python': []}
    try:
        exe = build_c(tmp)
        cl = bench_cluster.start(daemons)
        try:
            cl.add_space(SPACE)
            load(cl.port, objects)
            args = ['127.0.0.1', str(cl.port), 'kv', str(objects), str(seconds), str(window)]
            for r in range(rounds):
                runs['c'].append(run([exe] + args))
                runs['python'].append(run([sys.executable, str(ROOT / 'bench' / 'python' / 'get_rate.py')] + args))
                print('round %d: C sync %d async %d; Python sync %d async %d gets/s' % (
                    r + 1, runs['c'][-1]['sync_ops_per_s'], runs['c'][-1]['async_ops_per_s'],
                    runs['python'][-1]['sync_ops_per_s'], runs['python'][-1]['async_ops_per_s']), flush=True)
        finally:
            cl.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    best = {lang: {k: max(x[k] for x in rs) for k in ('sync_ops_per_s', 'async_ops_per_s')}
            for lang, rs in runs.items()}
    for lang, rs in runs.items():
        for k in ('sync_cpu_us_per_op', 'async_cpu_us_per_op'):
            best[lang][k] = min(x[k] for x in rs)
    print()
    print('gets/s, best of %d rounds of %.0f s; %d objects; 1 coordinator, %d daemons on 127.0.0.1' % (
        rounds, seconds, objects, daemons))
    print("(client CPU: the client process's own CPU time per get, least of the rounds)")
    print('%-22s %10s %24s %16s %20s' % ('client', 'sync gets/s', 'async gets/s (window %d)' % window,
                                          'sync CPU us/get', 'async CPU us/get'))
    for lang, label in (('c', 'C (libhyperclient)'), ('python', 'Python (hyperclient)')):
        b = best[lang]
        print('%-22s %10d %24d %16.1f %20.1f' % (label, b['sync_ops_per_s'], b['async_ops_per_s'],
                                                  b['sync_cpu_us_per_op'], b['async_cpu_us_per_op']))
    ratio = {k: best['python'][k] / best['c'][k] for k in best['c']}
    print('%-22s %9.0f%% %23.0f%% %15.1fx %19.1fx' % ('Python vs C', 100 * ratio['sync_ops_per_s'],
                                                       100 * ratio['async_ops_per_s'], ratio['sync_cpu_us_per_op'],
                                                       ratio['async_cpu_us_per_op']))

    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime('%Y-%m-%dT%H-%M-%S-') + '%03dZ' % (now.microsecond // 1000)
    out = ROOT / 'bench' / 'results' / ('python-%s.json' % stamp)
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {'benchmark': 'python-get-rate', 'date': now.isoformat(), 'objects': objects, 'seconds': seconds,
              'window': window, 'rounds': rounds, 'daemons': daemons, 'best': best, 'runs': runs,
              'host': {'python': platform.python_version(), 'machine': platform.machine(), 'cpus': os.cpu_count()}}
    out.write_text(json.dumps(record, indent=2) + '\n')
    print('recorded in %s' % os.path.relpath(out, ROOT))
    return 0


if __name__ == '__main__':
    sys.exit(main())
