#!/bin/sh
# Installs the Debian packages the build needs when they are missing.
# Runs as npm's preinstall step; needs root (or sudo) only when something is missing.
#
#   sh scripts/ensure-system-deps.sh            what `npm install` and `npm test` need
#   sh scripts/ensure-system-deps.sh valgrind   that, and valgrind (for `npm run test:valgrind`)
#   sh scripts/ensure-system-deps.sh chromium   that, and Debian's chromium (the status page's browser
#                                               test, test/status-page-browser.test.ts, runs it itself)
set -eu
missing=""
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
command -v make >/dev/null 2>&1 || missing="$missing make"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
command -v c++ >/dev/null 2>&1 || missing="$missing g++"
# test/c-install.test.ts builds a program with pkg-config against the installed library.
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
# The Python module (scripts/build-python.sh) is built into a wheel and installed by pip, offline,
# for the python3 on PATH: that takes pip, setuptools, wheel and Python's headers. Debian's packages
# are Debian's python3's; a python3 of another origin (pyenv's, say) that lacks `wheel` borrows
# python3-wheel's for the build. Each is installed only when missing, and only with a python3.
need_deb() {
  if ! dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; then missing="$missing $1"; fi
}
if command -v python3 >/dev/null 2>&1; then
  python3 -m pip --version >/dev/null 2>&1 || need_deb python3-pip
  python3 -c 'import setuptools' >/dev/null 2>&1 || need_deb python3-setuptools
  python3 -c 'import wheel' >/dev/null 2>&1 || python3 -c 'import setuptools.command.bdist_wheel' >/dev/null 2>&1 ||
    need_deb python3-wheel
  python3 -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' ||
    need_deb python3-dev
fi
for extra in "$@"; do
  case "$extra" in
    valgrind) command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind" ;;
    chromium) [ -x /usr/bin/chromium ] || missing="$missing chromium" ;;
    *) echo "ensure-system-deps: unknown optional package: $extra" >&2; exit 2 ;;
  esac
done
[ -z "$missing" ] && exit 0
echo "hyperdex: installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
