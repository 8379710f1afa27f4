// Loads the native addon (native/node/addon.cc and client_wrap.cc), built by `npm run build:native`
// into build/native/Release/hyperdex_native.node under the package root, and describes what it
// exports: the C headers' constants and `HyperClient`, libhyperclient called in-process. Typed
// helpers over `HyperClient` are in hyperclient-native.ts.

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
  /** `HYPERDEX_ATTRIBUTES_PER_REQUEST_MAX`. */
  readonly attributesPerRequestMax: number;
  /** `HYPERDEX_MICRO_OPS_PER_REQUEST_MAX`. */
  readonly microOpsPerRequestMax: number;
  /** `HYPERDEX_ATOMIC_*`, e.g. `ERASE: 4`. */
  readonly atomicFlags: Readonly<Record<string, number>>;
  /** `HYPERDEX_FUNC_*`, e.g. `SET: 1`. */
  readonly funcOps: Readonly<Record<string, number>>;
  /** `HYPERDEX_CHECK_*`, e.g. `EQUALS: 1`. */
  readonly checkOps: Readonly<Record<string, number>>;
  /** `HYPERDEX_SEARCH_BATCH_OBJECTS_MAX`. */
  readonly searchBatchObjectsMax: number;
  /** `HYPERDEX_SEARCH_BATCH_BYTES_MAX`. */
  readonly searchBatchBytesMax: number;
}

// ---- HyperClient: the C API as the addon exposes it ------------------------------------------
// Every byte string is in the C encoding of hyperclient.h (docs/protocol.md section 7); numbers
// are the C enums' values (hyperclient_returncode, hyperdatatype, hyperpredicate).

/** `struct hyperclient_attribute`. */
export interface NativeAttribute {
  readonly attr: string;
  readonly value: Uint8Array;
  readonly datatype: number;
}

/** An attribute of an object handed back by loop: its value is a fresh Buffer. */
export interface NativeObjectAttribute extends NativeAttribute {
  readonly value: Buffer;
}

/** `struct hyperclient_map_attribute`. */
export interface NativeMapAttribute {
  readonly attr: string;
  readonly mapKey: Uint8Array;
  readonly value: Uint8Array;
  readonly datatype: number;
}

/** `struct hyperclient_attribute_check`. */
export interface NativeAttributeCheck {
  readonly attr: string;
  readonly value: Uint8Array;
  readonly datatype: number;
  readonly predicate: number;
}

/** `struct hyperclient_range_query`: lower <= attr < upper, int64 bounds (or their 64 bits). */
export interface NativeRangeQuery {
  readonly attr: string;
  readonly lower: bigint | number;
  readonly upper: bigint | number;
}

/** What an operation's call returned: the C return value and `*status` right after the call (0 if unwritten). */
export interface NativeCall {
  readonly id: number;
  readonly status: number;
}

/** What hyperclient_loop returned, with the completed operation's results when the id is one of this client's. */
export interface NativeLoopResult {
  readonly id: number;
  /** The status hyperclient_loop wrote for itself (SUCCESS when it hands back an id). */
  readonly loopStatus: number;
  /** The operation's `*status`. */
  readonly opStatus?: number;
  /** With opStatus: false only for a search's object with more to come; the id is finished otherwise. */
  readonly done?: boolean;
  /** get, search, sorted_search on SUCCESS: the object, released in C already. */
  readonly attrs?: NativeObjectAttribute[];
  /** count on SUCCESS. */
  readonly count?: bigint;
}

type KeyAttrsMethod = (space: string, key: Uint8Array, attrs: readonly NativeAttribute[]) => NativeCall;
type KeyMapAttrsMethod = (space: string, key: Uint8Array, attrs: readonly NativeMapAttribute[]) => NativeCall;

/** Operations shaped like hyperclient_put: (space, key, attrs). */
export const NATIVE_ATTRS_OPERATIONS = [
  'put',
  'put_if_not_exist',
  'atomic_add',
  'atomic_sub',
  'atomic_mul',
  'atomic_div',
  'atomic_mod',
  'atomic_and',
  'atomic_or',
  'atomic_xor',
  'string_prepend',
  'string_append',
  'list_lpush',
  'list_rpush',
  'set_add',
  'set_remove',
  'set_intersect',
  'set_union',
  'map_remove',
] as const;

/** Operations shaped like hyperclient_map_add: (space, key, map attrs). */
export const NATIVE_MAP_OPERATIONS = [
  'map_add',
  'map_atomic_add',
  'map_atomic_sub',
  'map_atomic_mul',
  'map_atomic_div',
  'map_atomic_mod',
  'map_atomic_and',
  'map_atomic_or',
  'map_atomic_xor',
  'map_string_prepend',
  'map_string_append',
] as const;

/**
 * `struct hyperclient*` and the functions of native/include/hyperclient.h, one method each, named
 * as in C without the prefix. A call sends its request and returns; results come from loop().
 * The storage the C library writes into stays alive until loop returns the id for the last time,
 * and is freed by close() (or when the object is garbage-collected).
 */
export type NativeHyperClient = Record<(typeof NATIVE_ATTRS_OPERATIONS)[number], KeyAttrsMethod> &
  Record<(typeof NATIVE_MAP_OPERATIONS)[number], KeyMapAttrsMethod> & {
    /** hyperclient_destroy; then every call but close throws. Idempotent. */
    close(): void;
    /** Operations holding storage in the addon (started, not yet returned by loop for the last time). */
    pendingCount(): number;
    /** hyperclient_loop: -1 = wait without limit. Blocks the JavaScript thread meanwhile. */
    loop(timeoutMs: number): NativeLoopResult;
    get(space: string, key: Uint8Array): NativeCall;
    del(space: string, key: Uint8Array): NativeCall;
    condput(space: string, key: Uint8Array, condattrs: readonly NativeAttribute[], attrs: readonly NativeAttribute[]): NativeCall;
    cond_put(space: string, key: Uint8Array, checks: readonly NativeAttributeCheck[], attrs: readonly NativeAttribute[]): NativeCall;
    search(space: string, eq: readonly NativeAttribute[], rn: readonly NativeRangeQuery[]): NativeCall;
    count(space: string, checks: readonly NativeAttributeCheck[]): NativeCall;
    group_del(space: string, checks: readonly NativeAttributeCheck[]): NativeCall;
    /** maxmin: true for the largest first. */
    sorted_search(space: string, checks: readonly NativeAttributeCheck[], sortBy: string, limit: bigint | number, maxmin: boolean): NativeCall;
    add_space(description: string): NativeCall;
    rm_space(space: string): NativeCall;
  };

/** Everything the addon exports. */
export interface NativeAddon extends NativeConstants {
  /** `enum hyperpredicate`, e.g. `LESS_THAN: 9738`. */
  readonly predicates: Readonly<Record<string, number>>;
  /** hyperclient_create(host, port); throws an Error when it returns NULL. */
  readonly HyperClient: new (host: string, port: number) => NativeHyperClient;
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

let cached: NativeAddon | undefined;

/** Loads the addon; throws an Error naming the path and the build command when it is missing. */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  const addonPath = nativeAddonPath();
  if (!fs.existsSync(addonPath)) {
    throw new Error(
      `HyperDex native addon not found at ${addonPath}; run \`npm run build:native\` ` +
        `(or set ${ADDON_PATH_ENV} to the addon's path)`,
    );
  }
  try {
    cached = require(addonPath) as NativeAddon;
  } catch (err) {
    throw new Error(
      `HyperDex native addon at ${addonPath} failed to load (${(err as Error).message}); ` +
        'rebuild it with `npm run build:native`',
      { cause: err },
    );
  }
  return cached;
}
