#!/bin/sh
# Builds native/ (the C library, its C tests and the Node addon) with CMake through cmake-js, then
# runs the C tests. Output goes to build/native; the addon is build/native/Release/hyperdex_native.node.
#
# Works offline: package.json's "binary": {"napi_versions": [8]} makes cmake-js take Node's
# headers from the node-api-headers npm package rather than download them into ~/.cmake-js.
set -eu

cd "$(dirname "$0")/.."

out=build/native

node_modules/.bin/cmake-js compile --out "$out" --parallel 2

# `ctest --test-dir` needs CMake 3.20; running from the build directory works with any version.
(cd "$out" && ctest --output-on-failure)
