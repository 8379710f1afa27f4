// Attribute values and their bytes, as the C API lays them out in hyperclient_attribute.value:
//   string: the raw bytes        int64: 8 bytes little-endian two's complement
//   float:  8 bytes little-endian IEEE-754 double
//   list/set: elements in order (sets sorted, no duplicates); a string element is a u32 LE length
//             then its bytes, an int64 or float element its 8 bytes
//   map: (key, value) pairs sorted by key, no duplicate keys, each encoded as an element.
// The encoding is canonical, so two values are equal exactly when their bytes are equal. In sets
// and map keys -0 is 0 (one element, as JavaScript and Python sets have it); a lone float keeps its sign.

import { AttrType, ScalarType } from './datatypes';

/** A value as programs hand it over and get it back. */
export type Scalar = string | Buffer | number | bigint;
export type Value =
  | Scalar
  | readonly Scalar[]
  | ReadonlySet<Scalar>
  | ReadonlyMap<Scalar, Scalar>
  | { readonly [k: string]: Scalar };

/** Raised by encodeValue when a value does not fit the attribute's type. */
export class ValueTypeError extends Error {}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// ---- scalars -------------------------------------------------------------------------------

function scalarToInternal(t: ScalarType, v: unknown): Buffer | bigint | number {
  switch (t) {
    case 'string':
      if (typeof v === 'string') return Buffer.from(v, 'utf8');
      if (Buffer.isBuffer(v)) return v;
      if (v instanceof Uint8Array) return Buffer.from(v);
      throw new ValueTypeError(`expected a string or Buffer, got ${describe(v)}`);
    case 'int64': {
      let n: bigint;
      if (typeof v === 'bigint') n = v;
      else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
      else throw new ValueTypeError(`expected an integer, got ${describe(v)}`);
      if (n < INT64_MIN || n > INT64_MAX) throw new ValueTypeError(`integer ${n} does not fit in 64 bits`);
      return n;
    }
    case 'float':
      if (typeof v === 'number') return v;
      if (typeof v === 'bigint') return Number(v);
      throw new ValueTypeError(`expected a number, got ${describe(v)}`);
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Buffer.isBuffer(v)) return 'a Buffer';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Set) return 'a Set';
  if (v instanceof Map) return 'a Map';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

type Internal = Buffer | bigint | number;

function compareInternal(a: Internal, b: Internal): number {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') {
    if (a < b) return -1;
    if (a > b) return 1;
    if (a === b && Object.is(a, b)) return 0;
    // -0 against 0, or a NaN: order by bit pattern on the float axis (-0 before 0, NaNs at the ends),
    // so that the order is total and equal means equal bytes.
    const ka = floatOrderKey(a);
    const kb = floatOrderKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  }
  throw new Error('compareInternal: mixed element types');
}

function floatOrderKey(v: number): bigint {
  const buf = Buffer.allocUnsafe(8);
  buf.writeDoubleBE(v, 0);
  const bits = buf.readBigUInt64BE(0);
  return bits >> 63n ? ~bits & ((1n << 64n) - 1n) : bits | (1n << 63n);
}

/** An object key (always a string) as an int64 map key, when it spells one; else the string itself. */
function int64Key(k: string): bigint | string {
  try {
    return BigInt(k);
  } catch {
    return k; // not an integer ("1.5", "1e3"): scalarToInternal reports the type error
  }
}

/** Object keys are always strings; an int64 or float map key written as an object key is a number. */
function objectKey(t: ScalarType, k: unknown): unknown {
  if (t === 'string' || typeof k !== 'string' || k.trim() === '' || Number.isNaN(Number(k))) return k;
  return t === 'int64' ? int64Key(k) : Number(k);
}

function encodedScalarBytes(t: ScalarType, v: Internal, asElement: boolean): Buffer {
  if (t === 'string') {
    const s = v as Buffer;
    if (!asElement) return s;
    const out = Buffer.allocUnsafe(4 + s.length);
    out.writeUInt32LE(s.length, 0);
    s.copy(out, 4);
    return out;
  }
  const out = Buffer.allocUnsafe(8);
  if (t === 'int64') out.writeBigInt64LE(v as bigint, 0);
  else out.writeDoubleLE(v as number, 0);
  return out;
}

/** Reads one element at `off`; returns undefined when the bytes are short. */
function readElement(t: ScalarType, bytes: Buffer, off: number): { v: Internal; next: number } | undefined {
  if (t === 'string') {
    if (off + 4 > bytes.length) return undefined;
    const len = bytes.readUInt32LE(off);
    if (off + 4 + len > bytes.length) return undefined;
    return { v: bytes.subarray(off + 4, off + 4 + len), next: off + 4 + len };
  }
  if (off + 8 > bytes.length) return undefined;
  const v = t === 'int64' ? bytes.readBigInt64LE(off) : bytes.readDoubleLE(off);
  return { v, next: off + 8 };
}

// ---- program values -> bytes -----------------------------------------------------------------

function iterableOf(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  throw new ValueTypeError(`expected ${what}, got ${describe(v)}`);
}

function entriesOf(v: unknown): [unknown, unknown][] {
  if (v instanceof Map) return [...v.entries()];
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Set))
    return Object.entries(v as Record<string, unknown>);
  throw new ValueTypeError(`expected a Map or an object, got ${describe(v)}`);
}

/** Set elements and map keys: -0 and 0 are one element, as in JavaScript and Python sets. */
function asElement(v: Internal): Internal {
  return typeof v === 'number' && v === 0 ? 0 : v;
}

function sortedUnique<T>(items: T[], key: (x: T) => Internal): T[] {
  const sorted = [...items].sort((a, b) => compareInternal(key(a), key(b)));
  const out: T[] = [];
  for (const x of sorted) if (out.length === 0 || compareInternal(key(out[out.length - 1]), key(x)) !== 0) out.push(x);
  return out;
}

/** Encodes a program's value for an attribute of type t; throws ValueTypeError when it does not fit. */
export function encodeValue(t: AttrType, v: unknown): Buffer {
  switch (t.kind) {
    case 'string':
    case 'int64':
    case 'float':
      return encodedScalarBytes(t.kind, scalarToInternal(t.kind, v), false);
    case 'list': {
      const elems = iterableOf(v, 'an array').map((e) => scalarToInternal(t.elem, e));
      return Buffer.concat(elems.map((e) => encodedScalarBytes(t.elem, e, true)));
    }
    case 'set': {
      const elems = sortedUnique(
        iterableOf(v, 'a Set or an array').map((e) => asElement(scalarToInternal(t.elem, e))),
        (x) => x,
      );
      return Buffer.concat(elems.map((e) => encodedScalarBytes(t.elem, e, true)));
    }
    case 'map': {
      const pairs = entriesOf(v).map(([k, x]) => [asElement(scalarToInternal(t.key, objectKey(t.key, k))), scalarToInternal(t.value, x)] as [Internal, Internal]);
      const sorted = sortedUnique(pairs, (p) => p[0]);
      if (sorted.length !== pairs.length) throw new ValueTypeError('map has a key twice');
      return Buffer.concat(sorted.flatMap(([k, x]) => [encodedScalarBytes(t.key, k, true), encodedScalarBytes(t.value, x, true)]));
    }
  }
}

// ---- bytes -> program values -----------------------------------------------------------------

/** How strings come back: as text when the bytes are valid UTF-8 (the default), or always as Buffers. */
export type StringMode = 'auto' | 'buffer';

function internalToScalar(v: Internal, strings: StringMode): Scalar {
  if (Buffer.isBuffer(v)) {
    if (strings === 'buffer') return Buffer.from(v);
    const s = v.toString('utf8');
    return Buffer.byteLength(s, 'utf8') === v.length && Buffer.from(s, 'utf8').equals(v) ? s : Buffer.from(v);
  }
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  return v;
}

function readElements(t: ScalarType, bytes: Buffer, from = 0): Internal[] | undefined {
  const out: Internal[] = [];
  let off = from;
  while (off < bytes.length) {
    const e = readElement(t, bytes, off);
    if (!e) return undefined;
    out.push(e.v);
    off = e.next;
  }
  return out;
}

function readPairs(t: { key: ScalarType; value: ScalarType }, bytes: Buffer): [Internal, Internal][] | undefined {
  const out: [Internal, Internal][] = [];
  let off = 0;
  while (off < bytes.length) {
    const k = readElement(t.key, bytes, off);
    if (!k) return undefined;
    const v = readElement(t.value, bytes, k.next);
    if (!v) return undefined;
    out.push([k.v, v.v]);
    off = v.next;
  }
  return out;
}

/** Decodes stored bytes (assumed valid: see canonicalValueBytes) into a program value. */
export function decodeValue(t: AttrType, bytes: Buffer, strings: StringMode = 'auto'): Value {
  switch (t.kind) {
    case 'string':
      return internalToScalar(bytes, strings);
    case 'int64':
      return internalToScalar(bytes.readBigInt64LE(0), strings);
    case 'float':
      return bytes.readDoubleLE(0);
    case 'list':
      return (readElements(t.elem, bytes) ?? []).map((e) => internalToScalar(e, strings));
    case 'set':
      return new Set((readElements(t.elem, bytes) ?? []).map((e) => internalToScalar(e, strings)));
    case 'map':
      return new Map((readPairs(t, bytes) ?? []).map(([k, v]) => [internalToScalar(k, strings), internalToScalar(v, strings)]));
  }
}

/**
 * Checks bytes that arrived from the network for a type. Returns the canonical bytes (sets sorted
 * and without duplicates, maps sorted by key) or undefined when the bytes are malformed.
 */
export function canonicalValueBytes(t: AttrType, bytes: Buffer): Buffer | undefined {
  switch (t.kind) {
    case 'string':
      return bytes;
    case 'int64':
    case 'float':
      return bytes.length === 8 ? bytes : undefined;
    case 'list':
      return readElements(t.elem, bytes) ? bytes : undefined;
    case 'set': {
      const elems = readElements(t.elem, bytes);
      if (!elems) return undefined;
      return Buffer.concat(sortedUnique(elems.map(asElement), (x) => x).map((e) => encodedScalarBytes(t.elem, e, true)));
    }
    case 'map': {
      const pairs = readPairs(t, bytes)?.map(([k, v]) => [asElement(k), v] as [Internal, Internal]);
      if (!pairs) return undefined;
      const sorted = sortedUnique(pairs, (p) => p[0]);
      if (sorted.length !== pairs.length) return undefined;
      return Buffer.concat(sorted.flatMap(([k, v]) => [encodedScalarBytes(t.key, k, true), encodedScalarBytes(t.value, v, true)]));
    }
  }
}

const ZERO8 = Buffer.alloc(8);
const EMPTY = Buffer.alloc(0);

/** The value a new object's unnamed attribute takes: "", 0, 0.0 or an empty container. */
export function defaultValueBytes(t: AttrType): Buffer {
  return t.kind === 'int64' || t.kind === 'float' ? ZERO8 : EMPTY;
}

// ---- element-level access, for the atomic operations -----------------------------------------

/** A scalar as the server works with it: string bytes, int64 as bigint, float as number. */
export type Element = Buffer | bigint | number;

export const INT64_RANGE = { min: INT64_MIN, max: INT64_MAX } as const;

/** An element as a set or map key holds it: -0 is 0. */
export function asSetElement(v: Element): Element {
  return asElement(v);
}

/** Total order of elements of one scalar type (the order of sets and map keys). */
export function compareElements(a: Element, b: Element): number {
  return compareInternal(a, b);
}

/** Reads a whole scalar attribute's bytes (already validated). */
export function readScalar(t: ScalarType, bytes: Buffer): Element {
  if (t === 'string') return bytes;
  return t === 'int64' ? bytes.readBigInt64LE(0) : bytes.readDoubleLE(0);
}

export function writeScalar(t: ScalarType, v: Element): Buffer {
  return encodedScalarBytes(t, v, false);
}

/** Elements of a list or set attribute's bytes (already validated). */
export function readElementList(t: ScalarType, bytes: Buffer): Element[] {
  const out = readElements(t, bytes);
  if (!out) throw new Error('readElementList: malformed bytes');
  return out;
}

/** Encodes list elements in the order given. */
export function writeList(t: ScalarType, items: readonly Element[]): Buffer {
  return Buffer.concat(items.map((e) => encodedScalarBytes(t, e, true)));
}

/** Encodes set elements: sorted, without duplicates. */
export function writeSet(t: ScalarType, items: readonly Element[]): Buffer {
  return writeList(t, sortedUnique(items.map(asElement), (x) => x));
}

/** Entries of a map attribute's bytes (already validated). */
export function readMapEntries(t: { key: ScalarType; value: ScalarType }, bytes: Buffer): [Element, Element][] {
  const out = readPairs(t, bytes);
  if (!out) throw new Error('readMapEntries: malformed bytes');
  return out;
}

/** How many entries a map's bytes hold, without decoding them; undefined when malformed. */
export function countMapEntries(t: { key: ScalarType; value: ScalarType }, bytes: Buffer): number | undefined {
  let n = 0;
  let off = 0;
  // Each turn moves past at least one 4- or 8-byte element or returns: bounded by bytes.length.
  while (off < bytes.length) {
    const k = elementEnd(t.key, bytes, off);
    const v = k === undefined ? undefined : elementEnd(t.value, bytes, k);
    if (v === undefined) return undefined;
    off = v;
    n++;
  }
  return n;
}

/** Where the element at `off` ends, or undefined when the bytes are short. */
function elementEnd(t: ScalarType, bytes: Buffer, off: number): number | undefined {
  const end = t === 'string' ? (off + 4 <= bytes.length ? off + 4 + bytes.readUInt32LE(off) : Infinity) : off + 8;
  return end <= bytes.length ? end : undefined;
}

/** Encodes map entries sorted by key; keys must be unique. */
export function writeMap(t: { key: ScalarType; value: ScalarType }, entries: readonly [Element, Element][]): Buffer {
  const sorted = [...entries].map(([k, v]) => [asElement(k), v] as [Element, Element]).sort((a, b) => compareInternal(a[0], b[0]));
  for (let i = 1; i < sorted.length; i++) if (compareInternal(sorted[i - 1][0], sorted[i][0]) === 0) throw new Error('writeMap: a key twice');
  return Buffer.concat(sorted.flatMap(([k, v]) => [encodedScalarBytes(t.key, k, true), encodedScalarBytes(t.value, v, true)]));
}

/** The default of a scalar: empty string, 0 or 0.0. */
export function defaultElement(t: ScalarType): Element {
  return t === 'string' ? Buffer.alloc(0) : t === 'int64' ? 0n : 0;
}

/** A scalar element as a program value. */
export function elementToScalar(v: Element, strings: StringMode = 'auto'): Scalar {
  return internalToScalar(v, strings);
}

/** Encodes a program's scalar as an element of type t (throws ValueTypeError). */
export function encodeElement(t: ScalarType, v: unknown): Buffer {
  return encodedScalarBytes(t, scalarToInternal(t, v), false);
}

/**
 * The entries of a map as a program gives it (a Map or a plain object), each key encoded as the
 * map's key type; values are left as given. Throws ValueTypeError.
 */
export function mapEntriesOf(keyType: ScalarType, v: unknown): [Buffer, unknown][] {
  return entriesOf(v).map(([k, x]) => [encodedScalarBytes(keyType, asElement(scalarToInternal(keyType, objectKey(keyType, k))), false), x]);
}
