// Attribute types and their numbers on the wire.
//
// The numbers are those of HyperDex 0.4's `hyperdatatype` enum, so that a C program compiled against
// the original header sends the same figures. Float types were added later; they take the next free
// number in each family (see ../../docs/protocol.md).

export type ScalarType = 'string' | 'int64' | 'float';

export type AttrType =
  | { readonly kind: 'string' }
  | { readonly kind: 'int64' }
  | { readonly kind: 'float' }
  | { readonly kind: 'list'; readonly elem: ScalarType }
  | { readonly kind: 'set'; readonly elem: ScalarType }
  | { readonly kind: 'map'; readonly key: ScalarType; readonly value: ScalarType };

export const Datatype = {
  STRING: 8960,
  INT64: 8961,
  FLOAT: 8962,
  LIST_GENERIC: 8976,
  LIST_STRING: 8977,
  LIST_INT64: 8978,
  LIST_FLOAT: 8979,
  SET_GENERIC: 8992,
  SET_STRING: 8993,
  SET_INT64: 8994,
  SET_FLOAT: 8995,
  MAP_GENERIC: 9008,
  MAP_STRING_KEYONLY: 9024,
  MAP_STRING_STRING: 9025,
  MAP_STRING_INT64: 9026,
  MAP_STRING_FLOAT: 9027,
  MAP_INT64_KEYONLY: 9040,
  MAP_INT64_STRING: 9041,
  MAP_INT64_INT64: 9042,
  MAP_INT64_FLOAT: 9043,
  MAP_FLOAT_KEYONLY: 9056,
  MAP_FLOAT_STRING: 9057,
  MAP_FLOAT_INT64: 9058,
  MAP_FLOAT_FLOAT: 9059,
  GARBAGE: 9087,
} as const;
export type DatatypeNumber = (typeof Datatype)[keyof typeof Datatype];

const SCALAR_OFFSET: Record<ScalarType, number> = { string: 1, int64: 2, float: 3 };
const MAP_KEY_FAMILY: Record<ScalarType, number> = { string: 9024, int64: 9040, float: 9056 };

export const STRING: AttrType = { kind: 'string' };
export const INT64: AttrType = { kind: 'int64' };
export const FLOAT: AttrType = { kind: 'float' };

/** The wire number of a type. */
export function datatypeOf(t: AttrType): number {
  switch (t.kind) {
    case 'string':
      return Datatype.STRING;
    case 'int64':
      return Datatype.INT64;
    case 'float':
      return Datatype.FLOAT;
    case 'list':
      return Datatype.LIST_GENERIC + SCALAR_OFFSET[t.elem];
    case 'set':
      return Datatype.SET_GENERIC + SCALAR_OFFSET[t.elem];
    case 'map':
      return MAP_KEY_FAMILY[t.key] + SCALAR_OFFSET[t.value];
  }
}

const SCALARS: readonly ScalarType[] = ['string', 'int64', 'float'];

/** The type a wire number names, or undefined for GENERIC, KEYONLY, GARBAGE and unknown numbers. */
export function typeOfDatatype(n: number): AttrType | undefined {
  // A table made once: this runs for every attribute of every write (allTypes() made 18 objects).
  const t = typesByDatatype().get(n);
  return t && { ...t };
}

let typeTable: Map<number, AttrType> | undefined;
function typesByDatatype(): Map<number, AttrType> {
  if (!typeTable) typeTable = new Map(allTypes().map((t) => [datatypeOf(t), t]));
  return typeTable;
}

/** Every concrete attribute type (3 scalars, 3 lists, 3 sets, 9 maps). */
export function allTypes(): AttrType[] {
  const out: AttrType[] = SCALARS.map((s) => ({ kind: s }) as AttrType);
  for (const e of SCALARS) out.push({ kind: 'list', elem: e });
  for (const e of SCALARS) out.push({ kind: 'set', elem: e });
  for (const k of SCALARS) for (const v of SCALARS) out.push({ kind: 'map', key: k, value: v });
  return out;
}

/** The canonical spelling, as the 1.0 grammar writes it: `map(string, int64)`. */
export function typeName(t: AttrType): string {
  switch (t.kind) {
    case 'string':
    case 'int64':
    case 'float':
      return t.kind;
    case 'list':
    case 'set':
      return `${t.kind}(${t.elem})`;
    case 'map':
      return `map(${t.key}, ${t.value})`;
  }
}

export function sameType(a: AttrType, b: AttrType): boolean {
  return datatypeOf(a) === datatypeOf(b);
}

export function isScalar(t: AttrType): t is { kind: ScalarType } {
  return t.kind === 'string' || t.kind === 'int64' || t.kind === 'float';
}
