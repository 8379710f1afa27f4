"""The clusters of the Python benchmarks: test/python/conftest.py's Cluster (a coordinator and
daemons started with the documented command lines on 127.0.0.1, ephemeral ports, temporary data
directories, killed by PID), and a SIGTERM turned into SystemExit so that `finally` stops them."""
import os
import pathlib
import signal
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'test' / 'python'))

from conftest import Cluster  # noqa: E402


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


def start(daemons):
    """A running cluster of `daemons` daemons; the caller stops it (cluster.stop()) in a finally."""
    signal.signal(signal.SIGTERM, _terminated)
    cluster = Cluster()
    try:
        cluster.start_coordinator()
        for _ in range(daemons):
            cluster.start_daemon()
    except BaseException:
        cluster.stop()
        raise
    return cluster


def env_int(name, default):
    return int(os.environ.get(name, default))


def env_float(name, default):
    return float(os.environ.get(name, default))
