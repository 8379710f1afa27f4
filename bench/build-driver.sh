#!/bin/sh
# Builds the benchmark driver (bench/driver.c) into build/bench/hyperdex-bench, against the static
# libhyperclient of build/native (what `npm run build` makes) and Debian's hiredis
# (scripts/ensure-bench-deps.sh installs it). Rebuilds only when the driver or the library changed.
#   HYPERDEX_C_BUILD  the CMake build holding libhyperclient.a (default build/native)
#   BENCH_BUILD       where the driver goes (default build/bench)
set -eu
cd "$(dirname "$0")/.."
lib=${HYPERDEX_C_BUILD:-build/native}
out=${BENCH_BUILD:-build/bench}
bin="$out/hyperdex-bench"
for f in "$lib/libhyperclient.a" "$lib/libhyperdex_common.a"; do
  [ -f "$f" ] || { echo "bench: $f is missing: run \`npm run build\` first" >&2; exit 1; }
done
if [ -f "$bin" ] && [ "$bin" -nt bench/driver.c ] && [ "$bin" -nt "$lib/libhyperclient.a" ]; then
  exit 0
fi
mkdir -p "$out"
# Written aside and renamed: a smoke test and a bench may build at once.
tmp="$bin.$$.tmp"
cc -std=c11 -O2 -g -Wall -Wextra -Werror -pthread -Inative/include \
  bench/driver.c "$lib/libhyperclient.a" "$lib/libhyperdex_common.a" -lhiredis -lm -o "$tmp"
mv -f "$tmp" "$bin"
