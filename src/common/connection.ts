// A framed connection over a TCP socket: the I/O edge around FrameDecoder.

import * as net from 'node:net';
import { describeFrameError, encodeFrame, Frame, FrameDecoder } from './frame';
import { LIMITS } from './protocol';

export interface ConnectionHandlers {
  onFrame(frame: Frame): void;
  /** Called once, when the connection is gone for whatever reason. */
  onClose(reason: string): void;
}

export class FramedConnection {
  private readonly decoder: FrameDecoder;
  private closed = false;
  /**
   * Frames queued during this turn of the event loop, written together once it ends: one write
   * (one system call) per turn instead of one per reply, which dominated the daemon's profile.
   */
  private outbox: Buffer[] = [];
  private outboxBytes = 0;
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
    if (this.closed) return false;
    if (this.socket.writableLength + this.outboxBytes > LIMITS.sendQueueBytesMax) {
      this.close('peer is not reading: send queue full');
      return false;
    }
    this.outbox.push(frame);
    this.outboxBytes += frame.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // setImmediate runs after this turn's I/O callbacks and the promise jobs they start, so
      // every reply they produce goes out in the one write.
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** Writes the frames queued so far, as one buffer. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.outbox.length === 0 || this.socket.destroyed) return;
    const out = this.outbox.length === 1 ? this.outbox[0] : Buffer.concat(this.outbox, this.outboxBytes);
    this.outbox = [];
    this.outboxBytes = 0;
    this.socket.write(out);
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
    for (const f of frames) {
      if (this.closed) return;
      this.handlers.onFrame(f);
    }
    if (error) this.close(`bad frame: ${describeFrameError(error)}`);
  }
}

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
