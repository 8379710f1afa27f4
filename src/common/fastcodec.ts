// Hand-written codecs for the hot messages of the daemon (REQ_GET and REQ_ATOMIC in, RESP_GET and
// the write responses out): msgpackr's general decode, the plain-value check and the field checks
// of messages.ts together were a tenth of the daemon's time under load.
//
// They are shortcuts, not a second protocol: a decoder here accepts only the common, unambiguous
// encodings (the ones our encoders produce) and says undefined for anything else, which then takes
// the general path in messages.ts, so every error and every other valid encoding is handled as
// before. The encoders produce the same bytes as encodeFrame(type, id, body) with the body of
// messages.ts (test/fastcodec.test.ts checks both against the general codecs).

import { encodeBody, writeFrameHeader } from './frame';
import { AtomicRequest, GetRequest, PredicateRequest, SearchRequest, WireCheck, WireFunc } from './messages';
import { FRAME, LIMITS, Status } from './protocol';

// ---- decoding ---------------------------------------------------------------------------------

/** A cursor over one msgpack body; every read returns undefined (-1 for lengths) when it cannot. */
class Reader {
  off = 0;
  constructor(readonly b: Buffer) {}

  get done(): boolean {
    return this.off === this.b.length;
  }

  /** An unsigned integer as positive fixint, uint8/16/32 (uint64 goes the general way). */
  uint(max: number): number | undefined {
    const b = this.b;
    if (this.off >= b.length) return undefined;
    const t = b[this.off];
    let v: number;
    if (t < 0x80) {
      v = t;
      this.off += 1;
    } else if (t === 0xcc && this.off + 2 <= b.length) {
      v = b[this.off + 1];
      this.off += 2;
    } else if (t === 0xcd && this.off + 3 <= b.length) {
      v = b.readUInt16BE(this.off + 1);
      this.off += 3;
    } else if (t === 0xce && this.off + 5 <= b.length) {
      v = b.readUInt32BE(this.off + 1);
      this.off += 5;
    } else return undefined;
    return v <= max ? v : undefined;
  }

  /** An array header (fixarray, array16): its length, or -1. */
  array(): number {
    const b = this.b;
    if (this.off >= b.length) return -1;
    const t = b[this.off];
    if (t >= 0x90 && t <= 0x9f) {
      this.off += 1;
      return t & 0x0f;
    }
    if (t === 0xdc && this.off + 3 <= b.length) {
      this.off += 3;
      return b.readUInt16BE(this.off - 2);
    }
    return -1;
  }

  /** bin8/16/32, as a view of the body. */
  bin(maxBytes: number): Buffer | undefined {
    const b = this.b;
    if (this.off >= b.length) return undefined;
    const t = b[this.off];
    let len: number;
    let head: number;
    if (t === 0xc4 && this.off + 2 <= b.length) {
      len = b[this.off + 1];
      head = 2;
    } else if (t === 0xc5 && this.off + 3 <= b.length) {
      len = b.readUInt16BE(this.off + 1);
      head = 3;
    } else if (t === 0xc6 && this.off + 5 <= b.length) {
      len = b.readUInt32BE(this.off + 1);
      head = 5;
    } else return undefined;
    const start = this.off + head;
    if (len > maxBytes || start + len > b.length) return undefined;
    this.off = start + len;
    return b.subarray(start, start + len);
  }

  /** A fixstr or str8 of ASCII bytes only (anything else is left to msgpackr's UTF-8 decoding). */
  ascii(): string | undefined {
    const b = this.b;
    if (this.off >= b.length) return undefined;
    const t = b[this.off];
    let len: number;
    let start: number;
    if (t >= 0xa0 && t <= 0xbf) {
      len = t & 0x1f;
      start = this.off + 1;
    } else if (t === 0xd9 && this.off + 2 <= b.length) {
      len = b[this.off + 1];
      start = this.off + 2;
    } else return undefined;
    const end = start + len;
    if (end > b.length) return undefined;
    for (let i = start; i < end; i++) if (b[i] >= 0x80) return undefined;
    this.off = end;
    return b.toString('latin1', start, end);
  }
}

function keyHeader(r: Reader): GetRequest | undefined {
  const configVersion = r.uint(Number.MAX_SAFE_INTEGER);
  if (configVersion === undefined) return undefined;
  const spaceId = r.uint(0xffffffff);
  if (spaceId === undefined) return undefined;
  const key = r.bin(LIMITS.keyBytesMax);
  if (key === undefined) return undefined;
  return { configVersion, spaceId, key };
}

/** REQ_GET and REQ_DEL in their common encoding; undefined sends the body to m.decodeGet. */
export function decodeGetFast(body: Buffer): GetRequest | undefined {
  const r = new Reader(body);
  if (r.array() !== 3) return undefined;
  const h = keyHeader(r);
  return h && r.done ? h : undefined;
}

/** One check or function: op, name, datatype, value [, map key datatype, map key]. */
function opAttr(r: Reader, withMapKey: boolean): WireFunc | undefined {
  const n = r.array();
  if (n !== 4 && !(withMapKey && n === 6)) return undefined;
  const op = r.uint(0xffff);
  if (op === undefined) return undefined;
  const name = r.ascii();
  if (name === undefined || name.length > 1024) return undefined;
  const datatype = r.uint(0xffff);
  if (datatype === undefined) return undefined;
  const value = r.bin(LIMITS.valueBytesMax);
  if (value === undefined) return undefined;
  if (n === 4) return { op, name, datatype, value };
  const mkType = r.uint(0xffff);
  if (mkType === undefined) return undefined;
  const mk = r.bin(LIMITS.keyBytesMax);
  if (mk === undefined) return undefined;
  return { op, name, datatype, value, mapKey: { datatype: mkType, value: mk } };
}

/** A list of at most `max` checks or funcs; undefined otherwise, for the general decoder to explain. */
function opAttrs(r: Reader, withMapKey: boolean, max: number): WireFunc[] | undefined {
  const n = r.array();
  if (n < 0 || n > max) return undefined;
  const out: WireFunc[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const a = opAttr(r, withMapKey);
    if (!a) return undefined;
    out[i] = a;
  }
  return out;
}

/** REQ_ATOMIC in its common encoding; undefined sends the body to m.decodeAtomic. */
export function decodeAtomicFast(body: Buffer): AtomicRequest | undefined {
  const r = new Reader(body);
  if (r.array() !== 6) return undefined;
  const h = keyHeader(r);
  if (!h) return undefined;
  const flags = r.uint(0xffff);
  if (flags === undefined) return undefined;
  const checks: WireCheck[] | undefined = opAttrs(r, false, LIMITS.microOpsPerRequestMax);
  if (!checks) return undefined;
  const funcs = opAttrs(r, true, LIMITS.microOpsPerRequestMax);
  if (!funcs || !r.done) return undefined;
  return { configVersion: h.configVersion, spaceId: h.spaceId, key: h.key, flags, checks, funcs };
}

/** A list of u32 (the regions of a search), as a fixarray or array16 of them. */
function uints(r: Reader): number[] | undefined {
  const n = r.array();
  if (n < 0) return undefined;
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const x = r.uint(0xffffffff);
    if (x === undefined) return undefined;
    out[i] = x;
  }
  return out;
}

/** The configuration version, space id and checks that open REQ_SEARCH, REQ_COUNT and REQ_GROUP_DEL. */
function predicateHead(r: Reader): { configVersion: number; spaceId: number; checks: WireCheck[] } | undefined {
  const configVersion = r.uint(Number.MAX_SAFE_INTEGER);
  const spaceId = r.uint(0xffffffff);
  if (configVersion === undefined || spaceId === undefined) return undefined;
  const checks: WireCheck[] | undefined = opAttrs(r, false, LIMITS.attributesPerRequestMax);
  if (!checks) return undefined;
  return { configVersion, spaceId, checks };
}

/** REQ_SEARCH in its common encoding; undefined sends the body to m.decodeSearch. */
export function decodeSearchFast(body: Buffer): SearchRequest | undefined {
  const r = new Reader(body);
  if (r.array() !== 8) return undefined;
  const h = predicateHead(r);
  if (!h) return undefined;
  const sortBy = r.ascii();
  if (sortBy === undefined || sortBy.length > 1024) return undefined;
  const limit = r.uint(Number.MAX_SAFE_INTEGER);
  const descending = r.uint(1);
  const subspace = r.uint(0xffff);
  if (limit === undefined || descending === undefined || subspace === undefined) return undefined;
  const regions = uints(r);
  if (!regions || !r.done) return undefined;
  // Spelled out: a spread here cost a hidden-class migration per request (the daemon's profile).
  return { configVersion: h.configVersion, spaceId: h.spaceId, checks: h.checks, sortBy, limit, descending: descending === 1, subspace, regions };
}

/** REQ_COUNT and REQ_GROUP_DEL in their common encoding; undefined sends the body to m.decodePredicateRequest. */
export function decodePredicateFast(body: Buffer): PredicateRequest | undefined {
  const r = new Reader(body);
  if (r.array() !== 5) return undefined;
  const h = predicateHead(r);
  if (!h) return undefined;
  const subspace = r.uint(0xffff);
  if (subspace === undefined) return undefined;
  const regions = uints(r);
  if (!regions || !r.done) return undefined;
  return { configVersion: h.configVersion, spaceId: h.spaceId, checks: h.checks, subspace, regions };
}

// ---- encoding ---------------------------------------------------------------------------------

/** The header of a frame that is all of `out`. */
function header(out: Buffer, type: number, id: bigint): void {
  writeFrameHeader(out, 0, type, id, out.length - FRAME.headerBytes);
}

/** [SUCCESS, '', '']: the body of nearly every write response. */
const SUCCESS_BODY = encodeBody([Status.SUCCESS, '', '']);

/** The frame of a write response that succeeded (RESP_ATOMIC, RESP_DEL). */
export function writeSuccessFrame(type: number, id: bigint): Buffer {
  const out = Buffer.allocUnsafe(FRAME.headerBytes + SUCCESS_BODY.length);
  header(out, type, id);
  out.set(SUCCESS_BODY, FRAME.headerBytes);
  return out;
}

/** [SUCCESS, '', ''] as the start of [SUCCESS, '', '', count]: the fixarray header says 4. */
const COUNT_SUCCESS_HEAD = Buffer.concat([Buffer.from([0x94]), SUCCESS_BODY.subarray(1)]);

/**
 * The frame of a RESP_SEARCH_DONE, RESP_COUNT or RESP_GROUP_DEL that succeeded, for counts below
 * 2^32 (undefined above: the general encoder then writes it). Every search ends with one.
 */
export function countSuccessFrame(type: number, id: bigint, count: number): Buffer | undefined {
  if (!(Number.isInteger(count) && count >= 0 && count < 0x1_0000_0000)) return undefined;
  const n = count < 0x80 ? 1 : count < 0x100 ? 2 : count < 0x10000 ? 3 : 5;
  const out = Buffer.allocUnsafe(FRAME.headerBytes + COUNT_SUCCESS_HEAD.length + n);
  header(out, type, id);
  let off = FRAME.headerBytes + COUNT_SUCCESS_HEAD.copy(out, FRAME.headerBytes);
  if (n === 1) out[off] = count;
  else if (n === 2) {
    out[off++] = 0xcc;
    out[off] = count;
  } else if (n === 3) {
    out[off++] = 0xcd;
    out.writeUInt16BE(count, off);
  } else {
    out[off++] = 0xce;
    out.writeUInt32BE(count, off);
  }
  return out;
}

/**
 * The constant bytes of a space's RESP_GET: per attribute, the start of its [name, datatype,
 * value] tuple up to the value's bin header (encoded by msgpackr itself, so byte for byte what the
 * general encoder writes).
 */
export class GetReplyShape {
  private readonly prefixes: Buffer[];
  private readonly head: Buffer;
  private readonly fixedBytes: number;

  constructor(attrs: readonly { name: string; datatype: number }[]) {
    // [SUCCESS, [...attrs], '']: the status, then the array header of the attributes.
    const outer = encodeBody([Status.SUCCESS, attrs.map(() => 0), '']);
    // encodeBody of n zeros is the array header then n bytes 0x00, then the '' (0xa0).
    this.head = outer.subarray(0, outer.length - attrs.length - 1);
    this.prefixes = attrs.map((a) => {
      const t = encodeBody([a.name, a.datatype, 0]);
      // A fixarray header (0x93) opens the tuple and the final 0x00 stands for the value.
      return t.subarray(0, t.length - 1);
    });
    this.fixedBytes = this.head.length + this.prefixes.reduce((n, p) => n + p.length, 0) + 1;
  }

  /** The RESP_GET body (the frame without its header) of an object whose values are `values`. */
  body(values: readonly Buffer[]): Buffer {
    let size = this.fixedBytes;
    for (const v of values) size += binHeaderBytes(v.length) + v.length;
    // Memory of its own: a body is kept with a cached object, and a slice of Node's shared pool
    // would keep the whole 8 KiB slab alive with it.
    const out = Buffer.allocUnsafeSlow(size);
    // Uint8Array.prototype.set, not Buffer.copy: for pieces this small the call into C++ that
    // copy makes cost more than the bytes.
    const head = this.head;
    out.set(head, 0);
    let off = head.length;
    for (let i = 0; i < values.length; i++) {
      const prefix = this.prefixes[i];
      out.set(prefix, off);
      off += prefix.length;
      const v = values[i];
      off = writeBinHeader(out, off, v.length);
      out.set(v, off);
      off += v.length;
    }
    out[off] = 0xa0; // the empty message
    return out;
  }
}

function binHeaderBytes(n: number): number {
  return n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

function writeBinHeader(out: Buffer, off: number, n: number): number {
  if (n < 0x100) {
    out[off] = 0xc4;
    out[off + 1] = n;
    return off + 2;
  }
  return writeSizedHeader(out, off, n, 0xc5, 0xc6);
}

function arrayHeaderBytes(n: number): number {
  return n < 16 ? 1 : n < 0x10000 ? 3 : 5;
}

function writeArrayHeader(out: Buffer, off: number, n: number): number {
  if (n < 16) {
    out[off] = 0x90 | n;
    return off + 1;
  }
  return writeSizedHeader(out, off, n, 0xdc, 0xdd);
}

/** A msgpack header with a 16-bit size (tag16) or, from 65,536 on, a 32-bit one (tag32). */
function writeSizedHeader(out: Buffer, off: number, n: number, tag16: number, tag32: number): number {
  if (n < 0x10000) {
    out[off] = tag16;
    out.writeUInt16BE(n, off + 1);
    return off + 3;
  }
  out[off] = tag32;
  out.writeUInt32BE(n, off + 1);
  return off + 5;
}

/**
 * Copies src[start, end) to out at off; returns the offset after it. Short pieces (names, keys,
 * small values) byte by byte: Buffer.copy's own cost was most of writing them.
 */
function put(out: Buffer, off: number, src: Buffer, start: number, end: number): number {
  if (end - start > 32) return off + src.copy(out, off, start, end);
  for (let i = start; i < end; i++) out[off++] = src[i];
  return off;
}

/**
 * RESP_SEARCH_ITEMS written straight from the stored values: the general encoder built one JS
 * object per attribute per object and msgpackr then walked them, together about a quarter of a
 * daemon's time on searches returning many objects. Same bytes as encodeFrame with the body of
 * m.encodeSearchItems (test/fastcodec.test.ts checks this).
 */
export class SearchItemsShape {
  /** Per attribute, its tuple up to the value's bin header, as in GetReplyShape. */
  private readonly prefixes: Buffer[];
  private readonly prefixBytes: number;

  constructor(attrs: readonly { name: string; datatype: number }[]) {
    this.prefixes = attrs.map((a) => {
      const t = encodeBody([a.name, a.datatype, 0]);
      return t.subarray(0, t.length - 1);
    });
    this.prefixBytes = this.prefixes.reduce((n, p) => n + p.length, 0);
  }

  /** The frame of one batch: keys[i] has the values values[i] (in the space's attribute order). */
  frame(type: number, id: bigint, keys: readonly Buffer[], values: readonly (readonly Buffer[])[]): Buffer {
    const n = keys.length;
    const attrs = this.prefixes.length;
    // [[ [key, [[name, datatype, value], ...]], ... ]]
    let size = FRAME.headerBytes + 1 + arrayHeaderBytes(n) + n * (1 + arrayHeaderBytes(attrs) + this.prefixBytes);
    for (let i = 0; i < n; i++) {
      size += binHeaderBytes(keys[i].length) + keys[i].length;
      const vs = values[i];
      for (let j = 0; j < attrs; j++) size += binHeaderBytes(vs[j].length) + vs[j].length;
    }
    const out = Buffer.allocUnsafe(size);
    header(out, type, id);
    let off = FRAME.headerBytes;
    out[off++] = 0x91;
    off = writeArrayHeader(out, off, n);
    for (let i = 0; i < n; i++) {
      out[off++] = 0x92;
      const k = keys[i];
      off = writeBinHeader(out, off, k.length);
      off += k.copy(out, off);
      off = writeArrayHeader(out, off, attrs);
      const vs = values[i];
      for (let j = 0; j < attrs; j++) {
        off += this.prefixes[j].copy(out, off);
        const v = vs[j];
        off = writeBinHeader(out, off, v.length);
        off += v.copy(out, off);
      }
    }
    return out;
  }

  /**
   * The same frame from rows as the store keeps them, without decoding them: row i's key is
   * keys[i] from byte keyStart on; its values are records[i] from byte valuesAt(records[i]) on,
   * each a u32 big-endian length and its bytes, in the space's attribute order (store/level-records.ts). A
   * record whose values do not fit it throws.
   */
  frameRows(type: number, id: bigint, keys: readonly Buffer[], keyStart: number, records: readonly Buffer[], valuesAt: (record: Buffer) => number): Buffer {
    const n = keys.length;
    const attrs = this.prefixes.length;
    let size = FRAME.headerBytes + 1 + arrayHeaderBytes(n) + n * (1 + arrayHeaderBytes(attrs) + this.prefixBytes);
    for (let i = 0; i < n; i++) {
      const klen = keys[i].length - keyStart;
      size += binHeaderBytes(klen) + klen;
      const r = records[i];
      let off = valuesAt(r);
      for (let j = 0; j < attrs; j++) {
        if (off + 4 > r.length) throw new Error('stored record is truncated');
        const len = r.readUInt32BE(off);
        size += binHeaderBytes(len) + len;
        off += 4 + len;
      }
      if (off !== r.length) throw new Error('stored record does not match the space');
    }
    const out = Buffer.allocUnsafe(size);
    header(out, type, id);
    let off = FRAME.headerBytes;
    out[off++] = 0x91;
    off = writeArrayHeader(out, off, n);
    for (let i = 0; i < n; i++) {
      out[off++] = 0x92;
      const k = keys[i];
      off = writeBinHeader(out, off, k.length - keyStart);
      off = put(out, off, k, keyStart, k.length);
      off = writeArrayHeader(out, off, attrs);
      const r = records[i];
      let at = valuesAt(r);
      for (let j = 0; j < attrs; j++) {
        const p = this.prefixes[j];
        off = put(out, off, p, 0, p.length);
        const len = r.readUInt32BE(at);
        off = writeBinHeader(out, off, len);
        off = put(out, off, r, at + 4, at + 4 + len);
        at += 4 + len;
      }
    }
    return out;
  }

  /**
   * The same frame from rows held in one arena, as the memory index keeps them (memindex.ts): row
   * i (from <= i < to) has its key at arena[pos[3i], pos[3i] + pos[3i+1]) and then its values, each
   * a u32 big-endian length and its bytes, up to pos[3i+2]. Nothing is made per row. Rows whose
   * values do not fit the space throw.
   */
  frameArena(type: number, id: bigint, arena: Buffer, pos: Int32Array, from: number, to: number): Buffer {
    const n = to - from;
    const attrs = this.prefixes.length;
    // One pass: room for the longest headers (a row's u32 lengths become bin headers of at most 5
    // bytes), and the frame is the part written.
    let room = FRAME.headerBytes + 1 + arrayHeaderBytes(n) + n * (1 + 5 + arrayHeaderBytes(attrs) + this.prefixBytes + attrs);
    for (let i = from; i < to; i++) room += pos[3 * i + 2] - pos[3 * i];
    const out = Buffer.allocUnsafe(room);
    let off = FRAME.headerBytes;
    out[off++] = 0x91;
    off = writeArrayHeader(out, off, n);
    for (let i = from; i < to; i++) {
      out[off++] = 0x92;
      const at = pos[3 * i];
      const klen = pos[3 * i + 1];
      const end = pos[3 * i + 2];
      off = writeBinHeader(out, off, klen);
      off = put(out, off, arena, at, at + klen);
      off = writeArrayHeader(out, off, attrs);
      let v = at + klen;
      for (let j = 0; j < attrs; j++) {
        const p = this.prefixes[j];
        off = put(out, off, p, 0, p.length);
        // By hand: Buffer.readUInt32BE was not inlined here, and was a sixth of a search's time.
        if (v + 4 > end) throw new Error('stored row is truncated');
        const len = ((arena[v] << 24) | (arena[v + 1] << 16) | (arena[v + 2] << 8) | arena[v + 3]) >>> 0;
        if (v + 4 + len > end) throw new Error('stored row is truncated');
        off = writeBinHeader(out, off, len);
        off = put(out, off, arena, v + 4, v + 4 + len);
        v += 4 + len;
      }
      if (v !== end) throw new Error('stored row does not match the space');
    }
    const frame = out.subarray(0, off);
    header(frame, type, id);
    return frame;
  }
}
