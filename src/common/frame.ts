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
  const payload = encodeBody(body);
  const out = Buffer.allocUnsafe(FRAME.headerBytes + payload.length);
  out.writeUInt32BE(FRAME.headerBytes - FRAME.sizeFieldBytes + payload.length, 0);
  out.writeUInt16BE(type, 4);
  out.writeBigUInt64BE(id, 6);
  out.set(payload, FRAME.headerBytes);
  return out;
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
      const head = this.peek(FRAME.sizeFieldBytes);
      const size = head.readUInt32BE(0);
      if (size < FRAME.sizeMin) return this.fail({ kind: 'too-small', size }, frames);
      if (size + FRAME.sizeFieldBytes > this.frameBytesMax) return this.fail({ kind: 'too-large', size }, frames);
      const total = size + FRAME.sizeFieldBytes;
      if (this.buffered < total) break;
      const bytes = this.take(total);
      frames.push({
        type: bytes.readUInt16BE(4),
        id: bytes.readBigUInt64BE(6),
        body: bytes.subarray(FRAME.headerBytes),
      });
    }
    return { frames };
  }

  private fail(error: FrameError, frames: Frame[]): { frames: Frame[]; error: FrameError } {
    this.failure = error;
    this.chunks = [];
    this.buffered = 0;
    return { frames, error };
  }

  /** The first n buffered bytes, without consuming them. */
  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks);
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }
}
