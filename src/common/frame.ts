// Framing: turns a byte stream into frames and frames into bytes. No sockets here: the decoder is
// fed bytes and hands back complete frames, and once it has failed it refuses more input.
//
//   u32 size (big-endian, bytes after this field) | u16 type | u64 request id | msgpack body

import { Packr } from 'msgpackr';
import { FRAME, LIMITS } from './protocol';

export interface Frame {
  readonly type: number;
  readonly id: bigint;
  /** The msgpack body, not yet decoded: a bad body is answered for its request id. */
  readonly body: Buffer;
}

const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });

export function encodeBody(body: unknown): Buffer {
  return packr.pack(body);
}

/** Decodes one msgpack value; throws on malformed or trailing bytes. */
export function decodeBody(body: Buffer): unknown {
  const values = packr.unpackMultiple(body) as unknown[] | undefined;
  if (!values || values.length !== 1) throw new Error('body must hold exactly one msgpack value');
  checkPlain(values[0]);
  return values[0];
}

/**
 * The protocol uses nil, booleans, integers, floats, str, bin, arrays and maps with str keys only.
 * msgpackr hands back a marker object for the never-used byte 0xc1 and decodes extension types
 * (timestamps, its own Set/Error/typed-array extensions, undefined) into rich values: refuse them.
 */
function checkPlain(v: unknown): void {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string') return;
  if (v instanceof Uint8Array) return; // bin
  if (Array.isArray(v)) {
    for (const x of v) checkPlain(x);
    return;
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const x of Object.values(v as Record<string, unknown>)) checkPlain(x);
    return;
  }
  throw new Error('body holds the byte 0xc1 or an extension type, which the protocol does not use');
}

export function encodeFrame(type: number, id: bigint, body: unknown): Buffer {
  return frameOf(type, id, encodeBody(body));
}

/** A frame around a body already encoded. */
export function frameOf(type: number, id: bigint, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME.headerBytes + payload.length);
  writeFrameHeader(out, 0, type, id, payload.length);
  out.set(payload, FRAME.headerBytes);
  return out;
}

/** Writes at `off` the header of a frame whose body has `bodyBytes` bytes. */
export function writeFrameHeader(out: Buffer, off: number, type: number, id: bigint, bodyBytes: number): void {
  out.writeUInt32BE(FRAME.headerBytes - FRAME.sizeFieldBytes + bodyBytes, off);
  out.writeUInt16BE(type, off + 4);
  out.writeBigUInt64BE(id, off + 6);
}

export type FrameError =
  | { readonly kind: 'too-large'; readonly size: number }
  | { readonly kind: 'too-small'; readonly size: number };

export function describeFrameError(e: FrameError): string {
  return e.kind === 'too-large'
    ? `frame of ${e.size} bytes exceeds the limit`
    : `frame size ${e.size} is below the minimum of ${FRAME.sizeMin}`;
}

/**
 * Incremental decoder. `push` returns the frames completed by the bytes given; after an error
 * every later push returns the same error, because the stream can no longer be trusted.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  /** Where the unread bytes of chunks[0] start: frames are read in place, not sliced off one by one. */
  private pos = 0;
  private buffered = 0;
  private failure: FrameError | undefined;

  constructor(private readonly frameBytesMax: number = LIMITS.frameBytesMax) {}

  get error(): FrameError | undefined {
    return this.failure;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  push(data: Buffer): { frames: Frame[]; error?: FrameError } {
    if (this.failure) return { frames: [], error: this.failure };
    if (data.length > 0) {
      this.chunks.push(data);
      this.buffered += data.length;
    }
    const frames: Frame[] = [];
    while (this.buffered >= FRAME.sizeFieldBytes) {
      if (this.chunks[0].length - this.pos < FRAME.sizeFieldBytes) this.join();
      let first = this.chunks[0];
      const size = first.readUInt32BE(this.pos);
      if (size < FRAME.sizeMin) return this.fail({ kind: 'too-small', size }, frames);
      if (size + FRAME.sizeFieldBytes > this.frameBytesMax) return this.fail({ kind: 'too-large', size }, frames);
      const total = size + FRAME.sizeFieldBytes;
      if (this.buffered < total) break;
      if (first.length - this.pos < total) first = this.join();
      const at = this.pos;
      frames.push({
        type: first.readUInt16BE(at + 4),
        id: first.readBigUInt64BE(at + 6),
        body: first.subarray(at + FRAME.headerBytes, at + total),
      });
      this.pos += total;
      this.buffered -= total;
      if (this.pos === first.length) {
        this.chunks.shift();
        this.pos = 0;
      }
    }
    return { frames };
  }

  private fail(error: FrameError, frames: Frame[]): { frames: Frame[]; error: FrameError } {
    this.failure = error;
    this.chunks = [];
    this.pos = 0;
    this.buffered = 0;
    return { frames, error };
  }

  /** Joins every buffered byte into one chunk (a frame spans chunks); returns it. */
  private join(): Buffer {
    const all = Buffer.concat(this.pos > 0 ? [this.chunks[0].subarray(this.pos), ...this.chunks.slice(1)] : this.chunks);
    this.chunks = [all];
    this.pos = 0;
    return all;
  }
}
