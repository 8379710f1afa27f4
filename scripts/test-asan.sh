#!/bin/sh
# npm run test:asan: the C suite under AddressSanitizer, LeakSanitizer and UBSan.
#
# 1. Configures and builds the whole C build (libhyperclient, every C test of native/cmake/tests.cmake)
#    with -DHYPERDEX_SANITIZE=ON into build/asan, with plain cmake (no cmake-js).
# 2. Shows that a heap overflow, a leak and a signed overflow each fail under the options below
#    (scripts/sanitizer-canary.c), so that a clean run means something.
# 3. Runs ctest there (the tests that need no cluster).
# 4. Runs the ava tests that start C programs against a live cluster (those that find their program
#    through test/helpers/cbuild.ts, or run the bridges of test/helpers/bridges.ts) with
#    HYPERDEX_C_BUILD=build/asan.
# Any sanitizer report aborts the program that made it, which fails its test and this script.
set -eu

cd "$(dirname "$0")/.."
root=$(pwd)
out=build/asan
started=$(date +%s)

# Every report is fatal: abort_on_error/halt_on_error stop at the first one, detect_leaks makes a
# leak at exit one. The binaries inherit these through ctest, ava and the tests' spawn().
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1:check_initialization_order=1
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS UBSAN_OPTIONS

echo "test:asan: building $out (ASan + UBSan)"
cmake -S . -B "$out" -DHYPERDEX_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" --parallel 2

# The build must really be instrumented: a stale configuration without the option would pass
# vacuously.
if ! grep -q '^HYPERDEX_SANITIZE:BOOL=ON$' "$out/CMakeCache.txt"; then
  echo "test:asan: $out is not configured with HYPERDEX_SANITIZE=ON" >&2
  exit 1
fi

echo "test:asan: checking that sanitizer reports fail the run"
canary="$out/sanitizer-canary"
cc -std=c11 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
  scripts/sanitizer-canary.c -o "$canary"
"$canary" none
for kind in overflow leak signed; do
  if "$canary" "$kind" >/dev/null 2>&1; then
    echo "test:asan: a deliberate $kind bug went unreported; the sanitizer options do not work here" >&2
    exit 1
  fi
done

echo "test:asan: ctest in $out"
(cd "$out" && ctest --output-on-failure)

# The live-cluster C tests: compiled test files that look their program up with findCBinary(), or
# run the JSON bridges (test/helpers/bridges.ts), the C one among them.
echo "test:asan: live-cluster C tests against $out"
node_modules/.bin/tsc -p tsconfig.json
files=$(grep -lE 'findCBinary|helpers/bridges' $(find dist/test -name '*.test.js' | sort) || true)
if [ -z "$files" ]; then
  echo "test:asan: no live-cluster C tests found under dist/test" >&2
  exit 1
fi
# shellcheck disable=SC2086 # one word per file
HYPERDEX_C_BUILD="$root/$out" node_modules/.bin/ava $files

echo "test:asan: passed in $(( $(date +%s) - started )) s"
