#!/bin/sh
# Installs the Debian packages the build needs when they are missing.
# Runs as npm's preinstall step; needs root (or sudo) only when something is missing.
set -eu
missing=""
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
command -v make >/dev/null 2>&1 || missing="$missing make"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
command -v c++ >/dev/null 2>&1 || missing="$missing g++"
[ -z "$missing" ] && exit 0
echo "hyperdex: installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
