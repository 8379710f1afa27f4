// An intent as LevelDB keeps it (level-keys.ts, under 'i' | u32 space | key): u8 format (1) | u64
// version | the values before | the values after, each either u8 0 (there were none: no object) or
// u8 1 | u16 count | per value a u32 length and its bytes. The space and key are in the LevelDB
// key, not repeated here. Decoding slices the buffer, as records do.

import { Intent } from '../core/types';

const INTENT_FORMAT = 1;
/** Values an object has at most: the count is a u16. */
const VALUES_MAX = 0xffff;

function valuesBytes(values: readonly Buffer[] | null): number {
  if (values === null) return 1;
  let n = 3;
  for (const v of values) n += 4 + v.length;
  return n;
}

function writeValues(out: Buffer, at: number, values: readonly Buffer[] | null): number {
  if (values === null) {
    out[at] = 0;
    return at + 1;
  }
  if (values.length > VALUES_MAX) throw new RangeError(`an intent's object has ${values.length} values, more than ${VALUES_MAX}`);
  out[at] = 1;
  out.writeUInt16BE(values.length, at + 1);
  let off = at + 3;
  for (const v of values) {
    out.writeUInt32BE(v.length, off);
    v.copy(out, off + 4);
    off += 4 + v.length;
  }
  return off;
}

function readValues(bytes: Buffer, at: number): [readonly Buffer[] | null, number] {
  if (at >= bytes.length) throw new Error('stored intent is truncated');
  if (bytes[at] === 0) return [null, at + 1];
  if (bytes[at] !== 1 || at + 3 > bytes.length) throw new Error('stored intent is malformed');
  const count = bytes.readUInt16BE(at + 1);
  const values: Buffer[] = new Array(count);
  let off = at + 3;
  for (let i = 0; i < count; i++) {
    if (off + 4 > bytes.length) throw new Error('stored intent is truncated');
    const len = bytes.readUInt32BE(off);
    if (off + 4 + len > bytes.length) throw new Error('stored intent is truncated');
    values[i] = bytes.subarray(off + 4, off + 4 + len);
    off += 4 + len;
  }
  return [values, off];
}

/** The stored bytes of an intent (in memory of their own: the memory copy keeps views of them). */
export function encodeIntent(intent: Intent): Buffer {
  const out = Buffer.allocUnsafeSlow(9 + valuesBytes(intent.before) + valuesBytes(intent.after));
  out[0] = INTENT_FORMAT;
  out.writeUInt32BE(Math.floor(intent.version / 0x1_0000_0000), 1);
  out.writeUInt32BE(intent.version % 0x1_0000_0000, 5);
  const end = writeValues(out, writeValues(out, 9, intent.before), intent.after);
  if (end !== out.length) throw new Error('intent encoding: size mismatch');
  return out;
}

/** An intent from its space, its key and its stored bytes (the result holds views of `bytes` and `key`). */
export function decodeIntent(spaceId: number, key: Buffer, bytes: Buffer): Intent {
  if (bytes.length < 9 || bytes[0] !== INTENT_FORMAT) throw new Error(`stored intent of unknown format ${bytes[0]}`);
  const version = bytes.readUInt32BE(1) * 0x1_0000_0000 + bytes.readUInt32BE(5);
  const [before, at] = readValues(bytes, 9);
  const [after, end] = readValues(bytes, at);
  if (end !== bytes.length) throw new Error('stored intent has bytes after its end');
  return { spaceId, key, version, before, after };
}
