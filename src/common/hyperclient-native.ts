// Typed helpers over the addon's HyperClient (libhyperclient in-process; see native.ts): making
// its arguments from program values, reading its results back, and waiting for operations
// through loop(). The value bytes come from the one codec of values.ts and the datatype numbers
// from datatypes.ts; nothing here re-implements what the C library does.

import { AttrType, datatypeOf, ScalarType, typeOfDatatype } from './datatypes';
import {
  loadNative,
  NativeAttribute,
  NativeAttributeCheck,
  NativeHyperClient,
  NativeLoopResult,
  NativeMapAttribute,
  NativeObjectAttribute,
  NativeRangeQuery,
} from './native';
import { statusName } from './protocol';
import { decodeValue, encodeElement, encodeValue, readScalar, StringMode, Value } from './values';

export type {
  NativeAttribute,
  NativeAttributeCheck,
  NativeCall,
  NativeHyperClient,
  NativeLoopResult,
  NativeMapAttribute,
  NativeObjectAttribute,
  NativeRangeQuery,
} from './native';
export { NATIVE_ATTRS_OPERATIONS, NATIVE_MAP_OPERATIONS } from './native';

/** `enum hyperpredicate` of hyperclient.h (the addon's `predicates` table must equal it). */
export const Predicate = {
  FAIL: 9728,
  EQUALS: 9729,
  LESS_THAN: 9738,
  LESS_EQUAL: 9739,
  GREATER_EQUAL: 9740,
  GREATER_THAN: 9741,
} as const;

/** hyperclient_create through the addon; throws when the addon is missing or the call returns NULL. */
export function openNativeClient(host: string, port: number): NativeHyperClient {
  return new (loadNative().HyperClient)(host, port);
}

// ---- arguments ---------------------------------------------------------------------------------

/** An int64 as the C API carries it: 8 bytes little-endian two's complement. */
export function int64Bytes(v: bigint | number): Buffer {
  return encodeElement('int64', v);
}

/** A float as the C API carries it: 8 bytes little-endian IEEE-754. */
export function floatBytes(v: number): Buffer {
  return encodeElement('float', v);
}

/** A string's bytes (UTF-8). */
export function stringBytes(v: string): Buffer {
  return encodeElement('string', v);
}

/** `struct hyperclient_attribute` for a value of type `type`. */
export function attribute(attr: string, type: AttrType, value: unknown): NativeAttribute {
  return { attr, value: encodeValue(type, value), datatype: datatypeOf(type) };
}

/** `struct hyperclient_map_attribute`: `value` under `mapKey` in map attribute `attr` of type `mapType`. */
export function mapAttribute(
  attr: string,
  mapType: { readonly kind: 'map'; readonly key: ScalarType; readonly value: ScalarType },
  mapKey: unknown,
  value: unknown,
): NativeMapAttribute {
  return {
    attr,
    mapKey: encodeElement(mapType.key, mapKey),
    value: encodeElement(mapType.value, value),
    datatype: datatypeOf({ kind: mapType.value }),
  };
}

/** `struct hyperclient_attribute_check`: stored `attr` compared with `value` by `predicate`. */
export function check(attr: string, type: AttrType, value: unknown, predicate: number = Predicate.EQUALS): NativeAttributeCheck {
  return { ...attribute(attr, type, value), predicate };
}

/** `struct hyperclient_range_query`: lower <= attr < upper on an int64 attribute. */
export function range(attr: string, lower: bigint | number, upper: bigint | number): NativeRangeQuery {
  return { attr, lower: BigInt(lower), upper: BigInt(upper) };
}

// ---- results -----------------------------------------------------------------------------------

/** Reads 8 bytes little-endian as an int64. */
export function readInt64(bytes: Uint8Array): bigint {
  return readScalar('int64', Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as bigint;
}

/** Reads 8 bytes little-endian as a float. */
export function readFloat(bytes: Uint8Array): number {
  return readScalar('float', Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as number;
}

/** An object from loop() as program values, by attribute name; throws on a datatype no type has. */
export function decodeObject(attrs: readonly NativeObjectAttribute[], strings: StringMode = 'auto'): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const a of attrs) {
    const t = typeOfDatatype(a.datatype);
    if (!t) throw new Error(`attribute ${a.attr}: datatype ${a.datatype} names no attribute type`);
    out[a.attr] = decodeValue(t, a.value, strings);
  }
  return out;
}

/** A status number's name, e.g. 8448 -> 'SUCCESS'; 0 -> 'UNSET' (the C call wrote none). */
export function nativeStatusName(code: number | undefined): string {
  if (code === 0 || code === undefined) return 'UNSET';
  return statusName(code);
}

// ---- waiting -----------------------------------------------------------------------------------

/** One id's loop returns, in order: one for a key operation, one per object then the end for a search. */
export type Completions = Map<number, NativeLoopResult[]>;

/**
 * Calls loop() until every id of `ids` has finished (a key operation once; a search or
 * sorted_search with a status other than SUCCESS), at most `timeoutMs` in all and `maxLoops`
 * calls. Throws when loop fails (NONEPENDING, TIMEOUT, ...) before that, naming the ids still
 * open. Ids not asked for are recorded too, under their own id.
 */
export function completeAll(client: NativeHyperClient, ids: readonly number[], timeoutMs: number, maxLoops = 1_000_000): Completions {
  const out: Completions = new Map();
  const open = new Set(ids);
  const deadline = Date.now() + timeoutMs;
  for (let n = 0; open.size > 0; n++) {
    const left = deadline - Date.now();
    if (n >= maxLoops || left <= 0) throw new Error(`ids ${[...open].join(', ')} not complete after ${n} loops and ${timeoutMs} ms`);
    const r = client.loop(left);
    if (r.id < 0) throw new Error(`loop returned ${r.id} (${nativeStatusName(r.loopStatus)}) with ids ${[...open].join(', ')} open`);
    const list = out.get(r.id) ?? [];
    list.push(r);
    out.set(r.id, list);
    if (r.done !== false) open.delete(r.id);
  }
  return out;
}

/** completeAll for one key operation: its single loop return. */
export function complete(client: NativeHyperClient, id: number, timeoutMs: number): NativeLoopResult {
  const results = completeAll(client, [id], timeoutMs).get(id)!;
  return results[results.length - 1];
}
