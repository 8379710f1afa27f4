#!/bin/sh
# Builds the Python module `hyperclient` (bindings/python) over build/native/libhyperclient.a and
# installs it for the python3 on PATH. Run after scripts/build-native.sh, which builds the library.
#
# Offline on purpose: nothing is fetched. With the `wheel` package present, pip installs it
# (--no-build-isolation uses the setuptools already installed, --no-index never asks PyPI);
# without it (pip then cannot build), setup.py builds the extension and the script copies it into
# the interpreter's site-packages, or the user's when that is not writable.
set -eu

cd "$(dirname "$0")/.."

if ! command -v python3 >/dev/null 2>&1; then
  echo "build-python: no python3 on PATH; the Python module is not built" >&2
  exit 0
fi

HYPERCLIENT_LIBRARY="${HYPERCLIENT_LIBRARY:-$PWD/build/native/libhyperclient.a}"
export HYPERCLIENT_LIBRARY

if python3 -c 'import wheel' >/dev/null 2>&1; then
  python3 -m pip install --no-build-isolation --no-deps --no-index --quiet --disable-pip-version-check \
    --force-reinstall bindings/python
else
  (cd bindings/python && python3 setup.py --quiet build_ext --force --build-lib build/lib --build-temp build/temp)
  dest=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
  if [ ! -w "$dest" ]; then
    dest=$(python3 -c 'import site; print(site.getusersitepackages())')
    mkdir -p "$dest"
  fi
  cp bindings/python/build/lib/hyperclient*.so "$dest/"
fi
# from outside the source tree, so that the installed module is the one imported
(cd / && python3 -c 'import hyperclient; print("build-python: hyperclient installed at " + hyperclient.__file__)')
