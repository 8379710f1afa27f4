// The version every command prints for --version: the one in the package's package.json.

import * as fs from 'node:fs';
import * as path from 'node:path';

const PACKAGE_NAME = 'hyperdex-ts';
/** dist/src/cli is three levels below the package root; a few more in case the layout changes. */
const LEVELS_UP_MAX = 6;

let cached: string | undefined;

export function packageVersion(): string {
  if (cached !== undefined) return cached;
  let dir = __dirname;
  for (let i = 0; i < LEVELS_UP_MAX; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return (cached = pkg.version);
    }
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find the package.json of ${PACKAGE_NAME} above ${__dirname}`);
}
