#!/bin/sh
# Builds the TypeScript client package (clients/typescript) from the client's own sources,
# src/client and the modules of src/common it imports, with type declarations, and packs it with
# `npm pack`. Prints the tarball's path: DIR/hyperdex-ts-client-VERSION.tgz (DIR defaults to build/).
#
#   npm run pack:client            (or: sh scripts/pack-client.sh [DIR])
#
# The package's version must be the project's (package.json): this refuses to pack otherwise.
set -eu

cd "$(dirname "$0")/.."
dest="${1:-build}"

project=$(node -p 'require("./package.json").version')
client=$(node -p 'require("./clients/typescript/package.json").version')
if [ "$project" != "$client" ]; then
  echo "pack-client: clients/typescript/package.json has version $client, the project $project: make them equal" >&2
  exit 1
fi

# Compiled afresh, so that nothing left from an earlier build is packed.
rm -rf clients/typescript/dist
node_modules/.bin/tsc -p clients/typescript/tsconfig.json
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
name=$(npm pack ./clients/typescript --pack-destination "$dest" --silent | tail -n 1)
echo "$dest/$name"
