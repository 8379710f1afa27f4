#!/bin/sh
# npm run test:valgrind: the C suite, built without sanitizers, under valgrind's memcheck.
#
# 1. Configures and builds the C build into build/valgrind (plain cmake, RelWithDebInfo for line
#    numbers), with valgrind as the launcher of every ctest test (CMAKE_CROSSCOMPILING_EMULATOR,
#    which add_test() puts in front of a test whose command is a target of the build).
# 2. Shows that an invalid write and a definite leak each fail under the options below.
# 3. Runs ctest there, then the ava tests that start C programs against a live cluster (those that
#    find their program through test/helpers/cbuild.ts) with HYPERDEX_C_BUILD=build/valgrind and
#    HYPERDEX_C_WRAPPER set to the same valgrind command.
# Any memcheck error or definitely lost block makes valgrind exit 1, which fails the test.
set -eu

cd "$(dirname "$0")/.."
root=$(pwd)
out=build/valgrind
started=$(date +%s)

sh scripts/ensure-system-deps.sh valgrind

# --errors-for-leak-kinds=definite: definitely lost blocks count as errors; still-reachable ones
# (freed by the C library at exit, or never) do not.
vg="valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1"
vg_list=$(echo "$vg" | tr ' ' ';')

echo "test:valgrind: building $out"
cmake -S . -B "$out" -DHYPERDEX_SANITIZE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CROSSCOMPILING_EMULATOR=$vg_list" >/dev/null
cmake --build "$out" --parallel 2

echo "test:valgrind: checking that memcheck errors fail the run"
canary="$out/sanitizer-canary"
cc -std=c11 -g -O0 scripts/sanitizer-canary.c -o "$canary"
$vg "$canary" none
for kind in overflow leak; do
  if $vg "$canary" "$kind" >/dev/null 2>&1; then
    echo "test:valgrind: a deliberate $kind bug went unreported; valgrind does not work here" >&2
    exit 1
  fi
done

echo "test:valgrind: ctest in $out (each test under valgrind)"
(cd "$out" && ctest --output-on-failure)

echo "test:valgrind: live-cluster C tests against $out"
node_modules/.bin/tsc -p tsconfig.json
files=$(grep -l 'findCBinary' $(find dist/test -name '*.test.js' | sort) || true)
if [ -z "$files" ]; then
  echo "test:valgrind: no live-cluster C tests found under dist/test" >&2
  exit 1
fi
# Programs run tens of times slower under valgrind: the tests scale their limits
# (HYPERDEX_C_TIMEOUT_SCALE) and ava's own per-test limit is raised.
# shellcheck disable=SC2086 # one word per file
HYPERDEX_C_BUILD="$root/$out" HYPERDEX_C_WRAPPER="$vg" HYPERDEX_C_TIMEOUT_SCALE=5 \
  node_modules/.bin/ava --timeout=10m $files

echo "test:valgrind: passed in $(( $(date +%s) - started )) s"
