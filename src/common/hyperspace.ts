// Hyperspace geometry: where a value lies on its axis, how a subspace is cut into regions, which
// region holds a point. Pure functions shared by clients, daemons and the coordinator.
//
// Every axis runs over the unsigned 64-bit integers. Strings and containers land on it by a 64-bit
// hash; int64 and float by an order-preserving map, so that a range of numbers is an interval.

import { AttrType } from './datatypes';

const MASK64 = (1n << 64n) - 1n;
const SIGN64 = 1n << 63n;
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;

/** splitmix64/murmur3 finalizer: spreads FNV's weak high bits over the whole word. */
function fmix64Reference(x: bigint): bigint {
  x ^= x >> 33n;
  x = (x * 0xff51afd7ed558ccdn) & MASK64;
  x ^= x >> 33n;
  x = (x * 0xc4ceb9fe1a85ec53n) & MASK64;
  x ^= x >> 33n;
  return x;
}

/** FNV-1a 64 over the bytes, then fmix64. Documented in docs/protocol.md with test vectors. */
export function hashBytes64(bytes: Uint8Array): bigint {
  hashBytes64Halves(bytes, HALVES);
  return (BigInt(HALVES[0]) << 32n) | BigInt(HALVES[1]);
}

const HALVES = new Uint32Array(2);

/**
 * hashBytes64 as its high and low 32 bits, in out[0] and out[1]: no BigInt, for the daemon's
 * per-request routing (keyRegion).
 */
export function hashBytes64Halves(bytes: Uint8Array, out: Uint32Array): void {
  // Work in two 32-bit halves with Math.imul: BigInt per byte is slow on long values.
  let lo = 0x84222325 | 0;
  let hi = 0xcbf29ce4 | 0;
  for (let i = 0; i < bytes.length; i++) {
    lo ^= bytes[i];
    // (hi:lo) * 0x100000001b3 mod 2^64 = (hi:lo) * 0x1b3 + (lo << 40)
    const lo16 = lo & 0xffff;
    const lohi16 = lo >>> 16;
    const a = lo16 * 0x1b3;
    const b = lohi16 * 0x1b3 + (a >>> 16);
    const newLo = ((b & 0xffff) << 16) | (a & 0xffff);
    const carry = Math.floor(b / 0x10000);
    const newHi = (Math.imul(hi, 0x1b3) + carry + ((lo << 8) | 0)) | 0;
    lo = newLo | 0;
    hi = newHi;
  }
  // fmix64 on the halves: BigInt arithmetic here showed in the daemon's profile of gets.
  lo ^= hi >>> 1; // x ^= x >> 33
  [hi, lo] = mul64(hi, lo, 0xff51afd7, 0xed558ccd);
  lo ^= hi >>> 1;
  [hi, lo] = mul64(hi, lo, 0xc4ceb9fe, 0x1a85ec53);
  lo ^= hi >>> 1;
  out[0] = hi;
  out[1] = lo;
}

/** (xh:xl) * (ch:cl) mod 2^64 in 32-bit halves (unsigned in, signed 32-bit out). */
function mul64(xh: number, xl: number, ch: number, cl: number): [number, number] {
  const a0 = xl & 0xffff;
  const a1 = xl >>> 16;
  const b0 = cl & 0xffff;
  const b1 = cl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = Math.floor(p00 / 0x10000) + (p01 & 0xffff) + (p10 & 0xffff);
  const lo = ((mid & 0xffff) << 16) | (p00 & 0xffff);
  // The high word of xl * cl, then the cross terms that land in the high word.
  const carry = a1 * b1 + Math.floor(p01 / 0x10000) + Math.floor(p10 / 0x10000) + Math.floor(mid / 0x10000);
  const hi = (carry + Math.imul(xh, cl) + Math.imul(xl, ch)) | 0;
  return [hi, lo | 0];
}

/** The reference version of hashBytes64, for tests: plain BigInt arithmetic. */
export function hashBytes64Reference(bytes: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MASK64;
  }
  return fmix64Reference(h);
}

/** An int64 on its axis: flip the sign bit, so that order is kept. */
export function int64Coordinate(v: bigint): bigint {
  return (BigInt.asUintN(64, v) ^ SIGN64) & MASK64;
}

/** A double on its axis: positive numbers get the sign bit set, negative ones are inverted. */
export function floatCoordinate(v: number): bigint {
  const buf = Buffer.allocUnsafe(8);
  buf.writeDoubleBE(v === 0 ? 0 : v, 0); // -0 and 0 are one point
  const bits = buf.readBigUInt64BE(0);
  return bits & SIGN64 ? ~bits & MASK64 : bits | SIGN64;
}

/** The coordinate of an attribute's encoded value (see values.ts for the bytes). */
export function coordinate(t: AttrType, bytes: Buffer): bigint {
  if (t.kind === 'int64') return int64Coordinate(bytes.readBigInt64LE(0));
  if (t.kind === 'float') return floatCoordinate(bytes.readDoubleLE(0));
  return hashBytes64(bytes);
}

/** coordinate() as its high and low 32 bits, in out[0] and out[1]. */
export function coordinateHalves(t: AttrType, bytes: Buffer, out: Uint32Array): void {
  if (t.kind === 'int64') {
    // The value's two's complement bits, little-endian, with the sign bit flipped.
    out[0] = (bytes.readUInt32LE(4) ^ 0x8000_0000) >>> 0;
    out[1] = bytes.readUInt32LE(0);
  } else if (t.kind === 'float') {
    const c = floatCoordinate(bytes.readDoubleLE(0));
    out[0] = Number(c >> 32n);
    out[1] = Number(c & 0xffff_ffffn);
  } else hashBytes64Halves(bytes, out);
}

/** A hyper-rectangle: inclusive bounds on each axis of its subspace. */
export interface Box {
  readonly lower: readonly bigint[];
  readonly upper: readonly bigint[];
}

/**
 * Cuts a subspace of `dims` axes into `count` boxes by halving boxes in turn, each along its next
 * axis: the first box made is split first, so a power-of-two count gives equal boxes.
 */
export function partitionSubspace(dims: number, count: number): Box[] {
  if (!(Number.isInteger(dims) && dims >= 1)) throw new Error(`partitionSubspace: bad dims ${dims}`);
  if (!(Number.isInteger(count) && count >= 1)) throw new Error(`partitionSubspace: bad count ${count}`);
  type Work = { lower: bigint[]; upper: bigint[]; axis: number };
  const queue: Work[] = [{ lower: new Array(dims).fill(0n), upper: new Array(dims).fill(MASK64), axis: 0 }];
  let head = 0;
  while (queue.length - head < count) {
    const box = queue[head++];
    const a = box.axis;
    if (box.lower[a] === box.upper[a]) throw new Error('partitionSubspace: axis exhausted');
    const mid = box.lower[a] + (box.upper[a] - box.lower[a]) / 2n;
    const left = { lower: [...box.lower], upper: [...box.upper], axis: (a + 1) % dims };
    const right = { lower: [...box.lower], upper: [...box.upper], axis: (a + 1) % dims };
    left.upper[a] = mid;
    right.lower[a] = mid + 1n;
    queue.push(left, right);
  }
  return queue.slice(head).map(({ lower, upper }) => ({ lower, upper }));
}

export function boxContains(box: Box, point: readonly bigint[]): boolean {
  for (let i = 0; i < point.length; i++) if (point[i] < box.lower[i] || point[i] > box.upper[i]) return false;
  return true;
}
