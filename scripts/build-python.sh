#!/bin/sh
# Builds the Python module `hyperclient` (bindings/python) over build/native/libhyperclient.a into a
# wheel, build/python/hyperclient-VERSION-*.whl, and installs that with pip for the python3 on PATH,
# as a distribution pip knows (`pip show hyperclient`, `pip uninstall hyperclient`). Run after
# scripts/build-native.sh, which builds the library.
#
# Offline on purpose: --no-index never asks PyPI, --no-build-isolation builds with the setuptools
# and wheel already there. scripts/ensure-system-deps.sh installs Debian's python3-pip,
# python3-setuptools, python3-wheel and python3-dev when the python3 on PATH lacks them.
set -eu

cd "$(dirname "$0")/.."

if ! command -v python3 >/dev/null 2>&1; then
  echo "build-python: no python3 on PATH; the Python module is not built" >&2
  exit 0
fi

HYPERCLIENT_LIBRARY="${HYPERCLIENT_LIBRARY:-$PWD/build/native/libhyperclient.a}"
export HYPERCLIENT_LIBRARY

fail() {
  echo "build-python: $*" >&2
  exit 1
}

python3 -m pip --version >/dev/null 2>&1 || fail "python3 ($(command -v python3)) has no pip: install Debian's python3-pip, or pip for that interpreter"
python3 -c 'import setuptools' >/dev/null 2>&1 || fail "python3 ($(command -v python3)) has no setuptools: install Debian's python3-setuptools, or setuptools for that interpreter"

# Building a wheel takes setuptools' bdist_wheel: its own from setuptools 70.1, before that the
# `wheel` package's. A python3 that is not Debian's (pyenv's, say) may have neither; it then
# borrows Debian's python3-wheel (pure Python) for this build only, through PYTHONPATH, which
# lists just that package and its metadata: nothing is installed into the interpreter.
borrowed=""
cleanup() {
  [ -z "$borrowed" ] || rm -rf "$borrowed"
}
trap cleanup EXIT
if ! python3 -c 'import wheel' >/dev/null 2>&1 && ! python3 -c 'import setuptools.command.bdist_wheel' >/dev/null 2>&1; then
  debian=/usr/lib/python3/dist-packages
  [ -d "$debian/wheel" ] || fail "python3 ($(command -v python3)) cannot build wheels: install Debian's python3-wheel (sh scripts/ensure-system-deps.sh does), or wheel for that interpreter"
  borrowed=$(mktemp -d)
  ln -s "$debian/wheel" "$borrowed/wheel"
  for meta in "$debian"/wheel-*.egg-info "$debian"/wheel-*.dist-info; do
    if [ -e "$meta" ]; then ln -s "$meta" "$borrowed/$(basename "$meta")"; fi
  done
  PYTHONPATH="$borrowed${PYTHONPATH:+:$PYTHONPATH}"
  export PYTHONPATH
fi

PIP="python3 -m pip --disable-pip-version-check --quiet"
rm -rf build/python
$PIP wheel --no-build-isolation --no-deps --no-index --wheel-dir build/python bindings/python
wheel_file=$(ls build/python/hyperclient-*.whl)

# Debian marks its own python3 as externally managed (PEP 668): pip refuses to install into it, to
# keep pip from replacing the files of Debian's python3-* packages. hyperclient is no Debian
# package, and pip puts it under /usr/local (or ~/.local), beside apt's files rather than over them;
# so the refusal is overridden for that interpreter, and only there (a venv or pyenv's python3 is
# not externally managed).
managed=$(python3 -c 'import os, sys, sysconfig; print(int(sys.prefix == sys.base_prefix and os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))))')
system_flag=""
[ "$managed" = "1" ] && system_flag="--break-system-packages"
$PIP install --no-index --no-deps --force-reinstall --root-user-action=ignore $system_flag "$wheel_file"

# from outside the source tree, so that the installed module is the one imported
(cd / && python3 -c 'import hyperclient; print("build-python: hyperclient " + hyperclient.__version__ + " installed at " + hyperclient.__file__)')
