#!/bin/sh
# Installs the Debian packages the build needs when they are missing.
# Runs as npm's preinstall step; needs root (or sudo) only when something is missing.
#
#   sh scripts/ensure-system-deps.sh            what `npm install` and `npm test` need
#   sh scripts/ensure-system-deps.sh valgrind   that, and valgrind (for `npm run test:valgrind`)
set -eu
missing=""
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
command -v make >/dev/null 2>&1 || missing="$missing make"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
command -v c++ >/dev/null 2>&1 || missing="$missing g++"
# test/c-install.test.ts builds a program with pkg-config against the installed library.
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
for extra in "$@"; do
  case "$extra" in
    valgrind) command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind" ;;
    *) echo "ensure-system-deps: unknown optional package: $extra" >&2; exit 2 ;;
  esac
done
[ -z "$missing" ] && exit 0
echo "hyperdex: installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
