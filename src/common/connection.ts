// A framed connection over a TCP socket: the I/O edge around FrameDecoder.

import * as net from 'node:net';
import { describeFrameError, encodeFrame, Frame, FrameDecoder, frameOf, writeFrameHeader } from './frame';
import { FRAME, LIMITS } from './protocol';

export interface ConnectionHandlers {
  onFrame(frame: Frame): void;
  /** Called after the frames of one read were handed to onFrame, before what they queued is written. */
  onFramesHandled?(): void;
  /** Called once, when the connection is gone for whatever reason. */
  onClose(reason: string): void;
}

export class FramedConnection {
  private readonly decoder: FrameDecoder;
  private closed = false;
  /**
   * Frames queued, written together (see scheduleFlush): one write (one system call) per turn
   * instead of one per reply, which dominated the daemon's profile.
   * They are copied into a slab as they come, bytes [outStart, outEnd): no buffer per frame to
   * join at the end. A write keeps its bytes of the slab; the next turn's frames go after them.
   */
  private out: Buffer | undefined;
  private outStart = 0;
  private outEnd = 0;
  /** The size of the next slab: twice the last write, within the bounds below. */
  private slabHint = SLAB_BYTES_MIN;
  /** In `dirty`: has frames queued that the next flushDirty writes. */
  private flushScheduled = false;

  constructor(
    readonly socket: net.Socket,
    private readonly handlers: ConnectionHandlers,
    frameBytesMax: number = LIMITS.frameBytesMax,
  ) {
    this.decoder = new FrameDecoder(frameBytesMax);
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('close', () => this.close('connection closed'));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  /** Queues a frame. Returns false (and drops the connection) when the peer does not keep up. */
  send(type: number, id: bigint, body: unknown): boolean {
    return this.sendFrame(encodeFrame(type, id, body));
  }

  /** Queues an encoded frame; see send. */
  sendFrame(frame: Buffer): boolean {
    if (!this.admit(frame.length)) return false;
    if (frame.length > SLAB_BYTES_MAX) {
      // A big frame (a search's batch) is written as it is, after what was queued before it.
      flushDirty();
      this.socket.write(frame);
      return true;
    }
    const out = this.room(frame.length);
    out.set(frame, this.outEnd);
    this.outEnd += frame.length;
    this.queued();
    return true;
  }

  /** Queues a frame made of a header and a body already encoded, copied once, into the slab. */
  sendBody(type: number, id: bigint, body: Buffer): boolean {
    const n = FRAME.headerBytes + body.length;
    if (n > SLAB_BYTES_MAX) return this.sendFrame(frameOf(type, id, body));
    if (!this.admit(n)) return false;
    const out = this.room(n);
    writeFrameHeader(out, this.outEnd, type, id, body.length);
    out.set(body, this.outEnd + FRAME.headerBytes);
    this.outEnd += n;
    this.queued();
    return true;
  }

  /** Whether `bytes` more may be queued (else the connection is dropped). */
  private admit(bytes: number): boolean {
    if (this.closed) return false;
    if (this.socket.writableLength + (this.outEnd - this.outStart) + bytes > LIMITS.sendQueueBytesMax) {
      this.close('peer is not reading: send queue full');
      return false;
    }
    return true;
  }

  /** Frames were added to the slab: they go out with the next flushDirty. */
  private queued(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    dirty.push(this);
    scheduleFlush();
  }

  /**
   * The slab, with room for `bytes` more after outEnd. A full slab's frames move to a new one
   * while they fit in SLAB_BYTES_MAX; past that they are written first (every connection's, in
   * order) and the new slab starts empty: growing one slab for a turn of many large replies (64
   * searches of 1,000 objects) copied the queued bytes again for every frame.
   */
  private room(bytes: number): Buffer {
    const out = this.out;
    if (out && out.length - this.outEnd >= bytes) return out;
    let queued = this.outEnd - this.outStart;
    if (queued > 0 && queued + bytes > SLAB_BYTES_MAX) {
      flushDirty();
      queued = this.outEnd - this.outStart;
    }
    const size = Math.min(SLAB_BYTES_MAX, Math.max(this.slabHint, 2 * (queued + bytes)));
    const slab = Buffer.allocUnsafeSlow(Math.max(size, queued + bytes));
    if (out && queued > 0) slab.set(out.subarray(this.outStart, this.outEnd), 0);
    this.out = slab;
    this.outStart = 0;
    this.outEnd = queued;
    return slab;
  }

  /** Writes the frames queued so far, as one buffer. */
  flush(): void {
    this.flushScheduled = false;
    if (this.socket.destroyed) this.outStart = this.outEnd; // nothing more goes out
    if (this.outEnd === this.outStart) return;
    const n = this.outEnd - this.outStart;
    this.socket.write(this.out!.subarray(this.outStart, this.outEnd));
    this.outStart = this.outEnd;
    // The next slab is sized for a write like this one. A big slab is not kept between writes:
    // a connection gone quiet holds at most SLAB_BYTES_KEPT.
    this.slabHint = Math.min(SLAB_BYTES_MAX, Math.max(SLAB_BYTES_MIN, 2 * n));
    if (this.out!.length > SLAB_BYTES_KEPT) {
      this.out = undefined;
      this.outStart = this.outEnd = 0;
    }
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    // What was queued before the close still goes out, as it did when every frame was written at once.
    this.flush();
    this.socket.destroy();
    this.handlers.onClose(reason);
  }

  /** Flushes what is queued, then closes. */
  end(reason: string): void {
    if (this.closed) return;
    this.flush();
    this.socket.end(() => this.close(reason));
  }

  private onData(data: Buffer): void {
    const { frames, error } = this.decoder.push(data);
    handing++;
    try {
      for (const f of frames) {
        if (this.closed) return;
        this.handlers.onFrame(f);
      }
      if (frames.length > 0 && !this.closed) this.handlers.onFramesHandled?.();
    } finally {
      if (--handing === 0) flushDirty();
    }
    if (error) this.close(`bad frame: ${describeFrameError(error)}`);
  }
}

/**
 * Connections with frames queued, in the order they queued their first: written in that order, so
 * that what one request caused on other connections (a configuration pushed to every daemon, a
 * replica write) leaves no later than the reply to it.
 */
const dirty: FramedConnection[] = [];
let flushPending = false;
/** onData calls in progress: the frames they queue are written when the outermost returns. */
let handing = 0;

/**
 * Writes are made when the frames of a read have been handled (a cached get answers at once;
 * waiting for setImmediate cost a request that found the daemon idle ~3 us of a ~30 us round trip,
 * measured at 1x1), or else after this turn's I/O callbacks and the promise jobs they start, so
 * that every reply they produce goes out in one write per connection.
 */
function scheduleFlush(): void {
  if (flushPending || handing > 0) return;
  flushPending = true;
  setImmediate(flushDirty);
}

function flushDirty(): void {
  flushPending = false;
  // A flush may close a connection (and so queue nothing new here); the list is taken first.
  const conns = dirty.splice(0);
  for (const c of conns) c.flush();
}

/** Slab sizes of a connection's outgoing frames: small for a quiet connection, bounded for a busy one. */
const SLAB_BYTES_MIN = 4096;
const SLAB_BYTES_MAX = 64 * 1024;
const SLAB_BYTES_KEPT = 16 * 1024;

/** Connects with a bounded wait. */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to ${host}:${port}: ${err.message}`));
    });
  });
}
