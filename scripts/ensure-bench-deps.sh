#!/bin/sh
# Installs the Debian packages `npm run bench` (and its smoke test) needs when they are missing:
# redis-server, the server the benchmark compares against, and libhiredis-dev, the C client the
# driver talks to it with. Runs apt-get update once before installing; needs root (or sudo) only
# when something is missing.
set -eu
missing=""
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
# The header is what the driver's build needs; the package also brings the library.
[ -f /usr/include/hiredis/hiredis.h ] || missing="$missing libhiredis-dev"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
[ -z "$missing" ] && exit 0
echo "hyperdex bench: installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
