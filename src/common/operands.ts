// Which operand each write function takes, by the attribute's type: shared by the client (to
// encode what a program passes) and the daemon (to check what arrives). Pure.

import { AttrType, FLOAT, INT64, ScalarType, STRING } from './datatypes';
import { FuncOp } from './protocol';
import { countMapEntries } from './values';

const NUMERIC_OPS: readonly number[] = [FuncOp.NUM_ADD, FuncOp.NUM_SUB, FuncOp.NUM_MUL, FuncOp.NUM_DIV];
const INTEGER_OPS: readonly number[] = [FuncOp.NUM_MOD, FuncOp.NUM_AND, FuncOp.NUM_OR, FuncOp.NUM_XOR];
const STRING_OPS: readonly number[] = [FuncOp.STRING_APPEND, FuncOp.STRING_PREPEND];

export function scalarType(k: ScalarType): AttrType {
  return k === 'string' ? STRING : k === 'int64' ? INT64 : FLOAT;
}

/** What an operation on a scalar of type t takes as its operand, or undefined if it does not apply. */
function scalarOperand(op: number, t: ScalarType): AttrType | undefined {
  if (op === FuncOp.SET) return scalarType(t);
  if (STRING_OPS.includes(op)) return t === 'string' ? STRING : undefined;
  if (NUMERIC_OPS.includes(op)) return t === 'string' ? undefined : scalarType(t);
  if (INTEGER_OPS.includes(op)) return t === 'int64' ? INT64 : undefined;
  return undefined;
}

/** The operand type of op on an attribute of type t (with or without a map key), or undefined. */
export function operandType(op: number, t: AttrType, onMapValue: boolean): AttrType | undefined {
  if (onMapValue) {
    if (t.kind !== 'map' || op === FuncOp.SET) return undefined;
    // map_remove names the value by its key; its operand is a value of the map's type, ignored.
    return op === FuncOp.MAP_REMOVE ? scalarType(t.value) : scalarOperand(op, t.value);
  }
  if (op === FuncOp.SET) return t;
  switch (t.kind) {
    case 'string':
    case 'int64':
    case 'float':
      return scalarOperand(op, t.kind);
    case 'list':
      return op === FuncOp.LIST_LPUSH || op === FuncOp.LIST_RPUSH ? scalarType(t.elem) : undefined;
    case 'set':
      if (op === FuncOp.SET_ADD || op === FuncOp.SET_REMOVE) return scalarType(t.elem);
      return op === FuncOp.SET_INTERSECT || op === FuncOp.SET_UNION ? t : undefined;
    case 'map':
      return op === FuncOp.MAP_ADD ? t : undefined;
  }
}


/**
 * What one func counts against LIMITS.microOpsPerRequestMax: a MAP_ADD once per entry of its map
 * operand (at least once), as HyperDex 0.4 sent one func per entry; any other func once. `operand`
 * is the func's operand as sent, of the type operandType gives; a malformed one counts once (the
 * daemon refuses it as WRONGTYPE anyway).
 */
export function funcMicroOps(op: number, t: AttrType, operand: Buffer, onMapValue: boolean): number {
  if (onMapValue || op !== FuncOp.MAP_ADD || t.kind !== 'map') return 1;
  return Math.max(1, countMapEntries(t, operand) ?? 1);
}
