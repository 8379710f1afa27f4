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
    if (this.socket.writableLength > LIMITS.sendQueueBytesMax) {
      this.close('peer is not reading: send queue full');
      return false;
    }
    this.socket.write(frame);
    return true;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.handlers.onClose(reason);
  }

  /** Flushes what is queued, then closes. */
  end(reason: string): void {
    if (this.closed) return;
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
