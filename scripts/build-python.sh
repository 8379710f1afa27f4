#!/bin/sh
# Builds the Python module `hyperclient` (bindings/python) over build/native/libhyperclient.a and
# installs it for the python3 on PATH. Run after scripts/build-native.sh, which builds the library.
#
# Offline on purpose: --no-build-isolation uses the setuptools already installed, --no-index never
# asks PyPI, --no-deps installs nothing else.
set -eu

cd "$(dirname "$0")/.."

if ! command -v python3 >/dev/null 2>&1; then
  echo "build-python: no python3 on PATH; the Python module is not built" >&2
  exit 0
fi

HYPERCLIENT_LIBRARY="${HYPERCLIENT_LIBRARY:-$PWD/build/native/libhyperclient.a}" \
  python3 -m pip install --no-build-isolation --no-deps --no-index --quiet --disable-pip-version-check bindings/python
python3 -c 'import hyperclient; print("build-python: hyperclient installed at " + hyperclient.__file__)'
