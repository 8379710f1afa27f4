// What a batch of writes must look like (StoreAssertionError otherwise): what the core makes, in
// the ranges the stores' encodings hold. Every store checks a whole batch before applying any of it.

import { Intent, RegionAddress, StoreWrite } from '../core/types';
import { StoreAssertionError } from './types';

const U16_MAX = 0xffff;
const U32_MAX = 0xffff_ffff;
/** Coordinates are u64: the index orders them as 8 big-endian bytes. */
export const COORD_MAX = (1n << 64n) - 1n;
/** Values of an object at most: their count is a u16 in the record. */
export const VALUES_MAX = U16_MAX;

function fail(what: string): never {
  throw new StoreAssertionError(`store: ${what}`);
}

/** For fixed messages; a message built from values is built only on failure (`if (...) fail(...)`). */
function check(cond: unknown, what: string): asserts cond {
  if (!cond) fail(what);
}

const isU32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= U32_MAX;
const isU16 = (n: number) => Number.isInteger(n) && n >= 0 && n <= U16_MAX;
const isVersion = (n: number) => Number.isSafeInteger(n) && n >= 0;

export function checkRegion(a: RegionAddress): void {
  if (!(isU32(a.spaceId) && isU16(a.subspace) && isU32(a.regionId))) fail(`region address out of range: space ${a.spaceId} subspace ${a.subspace} region ${a.regionId}`);
}

export function checkKey(key: Buffer): void {
  check(Buffer.isBuffer(key), 'a key must be a Buffer');
}

export function checkInterval(interval: readonly [bigint, bigint] | undefined): void {
  if (interval === undefined) return;
  if (!(interval[0] >= 0n && interval[1] <= COORD_MAX)) fail(`interval [${interval[0]}, ${interval[1]}] outside the coordinates`);
}

function checkValues(values: readonly Buffer[] | null, what: string): void {
  if (values === null) return;
  if (values.length > VALUES_MAX) fail(`${what}: ${values.length} values, more than ${VALUES_MAX}`);
  for (const v of values) if (!Buffer.isBuffer(v)) fail(`${what}: a value must be a Buffer`);
}

function checkIntent(spaceId: number, key: Buffer, intent: Intent | null): void {
  if (intent === null) return;
  check(intent.spaceId === spaceId && intent.key.equals(key), 'an intent must be filed under its own space and key');
  if (!isVersion(intent.version)) fail(`intent version ${intent.version} is not a whole number`);
  checkValues(intent.before, 'intent before');
  checkValues(intent.after, 'intent after');
}

/** Throws StoreAssertionError at the first write of the batch the core could not have made. */
export function checkWrites(writes: readonly StoreWrite[]): void {
  check(Array.isArray(writes), 'a batch is an array of writes');
  for (const w of writes) {
    switch (w.op) {
      case 'put': {
        checkRegion(w);
        checkKey(w.key);
        if (!isVersion(w.record.version)) fail(`version ${w.record.version} is not a whole number`);
        checkValues(w.record.values, 'put');
        if (w.record.values === null) check(w.subspace === 0 && w.coord === undefined, 'a tombstone belongs to the key subspace alone');
        else if (w.subspace === 0) check(w.coord === undefined, 'the key subspace is not indexed: no coordinate');
        else check(w.coord !== undefined && w.coord >= 0n && w.coord <= COORD_MAX, 'a put to a secondary subspace carries its coordinate (u64)');
        break;
      }
      case 'del':
        checkRegion(w);
        checkKey(w.key);
        break;
      case 'drop-region':
        checkRegion(w.region);
        break;
      case 'drop-space':
        if (!isU32(w.spaceId)) fail(`space ${w.spaceId} out of range`);
        break;
      case 'intent':
        if (!isU32(w.spaceId)) fail(`space ${w.spaceId} out of range`);
        checkKey(w.key);
        checkIntent(w.spaceId, w.key, w.intent);
        break;
      default:
        fail(`unknown write ${(w as { op: unknown }).op}`);
    }
  }
}
