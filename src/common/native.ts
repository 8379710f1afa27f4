// Loads the native addon (native/node/addon.cc), built by `npm run build:native` into
// build/native/Release/hyperdex_native.node under the package root.

import fs from 'node:fs';
import path from 'node:path';

/** What the addon exports: the C headers' constants, names without their C prefix. */
export interface NativeConstants {
  /** `enum hyperclient_returncode`, e.g. `SUCCESS: 8448`. */
  readonly returncodes: Readonly<Record<string, number>>;
  /** `enum hyperdatatype`, e.g. `STRING: 8960`. */
  readonly datatypes: Readonly<Record<string, number>>;
  /** `HYPERDEX_MSG_*`, e.g. `REQ_GET: 0x0201`. */
  readonly messageTypes: Readonly<Record<string, number>>;
  /** `HYPERDEX_FRAME_HEADER_BYTES`. */
  readonly frameHeaderBytes: number;
  /** `HYPERDEX_FRAME_BYTES_MAX`. */
  readonly frameBytesMax: number;
}

const PACKAGE_NAME = 'hyperdex-ts';
/** Where scripts/build-native.sh puts the addon, relative to the package root. */
const ADDON_RELATIVE_PATH = path.join('build', 'native', 'Release', 'hyperdex_native.node');
/** Overrides the addon's path, e.g. when running compiled code outside the package. */
const ADDON_PATH_ENV = 'HYPERDEX_NATIVE_ADDON';

function isPackageRoot(dir: string): boolean {
  try {
    const pkg: unknown = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    return typeof pkg === 'object' && pkg !== null && (pkg as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/** The nearest directory at or above `start` whose package.json is this package's. */
function findPackageRoot(start: string): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (isPackageRoot(dir)) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The path the addon is loaded from: $HYPERDEX_NATIVE_ADDON if set, else the build output under
 * the package root found by walking up from this file (works from src/common and from the
 * compiled dist/src/common), else from the current directory.
 */
export function nativeAddonPath(): string {
  const fromEnv = process.env[ADDON_PATH_ENV];
  if (fromEnv) return path.resolve(fromEnv);
  const root =
    findPackageRoot(__dirname) ?? findPackageRoot(process.cwd()) ?? path.resolve(__dirname, '..', '..');
  return path.join(root, ADDON_RELATIVE_PATH);
}

let cached: NativeConstants | undefined;

/** Loads the addon; throws an Error naming the path and the build command when it is missing. */
export function loadNative(): NativeConstants {
  if (cached) return cached;
  const addonPath = nativeAddonPath();
  if (!fs.existsSync(addonPath)) {
    throw new Error(
      `HyperDex native addon not found at ${addonPath}; run \`npm run build:native\` ` +
        `(or set ${ADDON_PATH_ENV} to the addon's path)`,
    );
  }
  try {
    cached = require(addonPath) as NativeConstants;
  } catch (err) {
    throw new Error(
      `HyperDex native addon at ${addonPath} failed to load (${(err as Error).message}); ` +
        'rebuild it with `npm run build:native`',
      { cause: err },
    );
  }
  return cached;
}
