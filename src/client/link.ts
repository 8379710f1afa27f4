// A client's link to one server: many requests in flight, each matched to its reply by request id,
// each ending at its operation's deadline or abort. The reply frame is handed back undecoded.

import { connectTcp, FramedConnection } from '../common/connection';
import { decodeError } from '../common/messages';
import { encodeFrame, Frame } from '../common/frame';
import { LIMITS, MsgType, Status } from '../common/protocol';
import { Deadline } from './deadline';
import { HyperClientError } from './errors';

/**
 * A request that failed because its link closed (DISCONNECT). `sent` says whether the request had
 * been handed to the connection: if not, the server never saw it and it may be sent again; if so,
 * the server may have acted on it, which a caller must weigh before sending it again.
 */
export class LinkClosedError extends HyperClientError {
  constructor(
    message: string,
    readonly sent: boolean,
  ) {
    super(Status.DISCONNECT, message);
  }
}

interface Pending {
  resolve(f: Frame): void;
  reject(e: Error): void;
  /** Releases the deadline's timer and the abort listener. */
  release(): void;
  /** For a streamed reply: sees each frame; true when it was the last one. */
  onFrame?: (f: Frame) => boolean;
}

export class Link {
  private readonly pending = new Map<bigint, Pending>();
  private conn!: FramedConnection;

  private constructor(
    readonly name: string,
    private readonly onPush: (f: Frame) => void,
    private readonly onGone: (reason: string) => void,
  ) {}

  /** Connects; `onPush` receives frames with request id 0, `onGone` runs once when the link dies. */
  static async open(
    host: string,
    port: number,
    connectTimeoutMs: number,
    onPush: (f: Frame) => void = () => {},
    onGone: (reason: string) => void = () => {},
  ): Promise<Link> {
    const socket = await connectTcp(host, port, connectTimeoutMs);
    const link = new Link(`${host}:${port}`, onPush, onGone);
    link.conn = new FramedConnection(socket, {
      onFrame: (f) => link.onFrame(f),
      onClose: (reason) => link.onClose(reason),
    });
    return link;
  }

  get isOpen(): boolean {
    return !this.conn.isClosed;
  }

  get outstanding(): number {
    return this.pending.size;
  }

  /**
   * Sends a request and resolves with its reply frame; rejects with a HyperClientError, or with
   * the deadline's TIMEOUT or AbortError (a reply that comes after that is dropped).
   */
  request(type: number, id: bigint, body: unknown[], deadline: Deadline): Promise<Frame> {
    return this.send(type, id, body, deadline, undefined);
  }

  /**
   * Sends a request whose reply comes as several frames: `onFrame` sees each and returns true on the
   * last, with which the promise resolves. All of them must come before the deadline.
   */
  stream(type: number, id: bigint, body: unknown[], deadline: Deadline, onFrame: (f: Frame) => boolean): Promise<Frame> {
    return this.send(type, id, body, deadline, onFrame);
  }

  private send(type: number, id: bigint, body: unknown[], deadline: Deadline, onFrame: ((f: Frame) => boolean) | undefined): Promise<Frame> {
    const ended = deadline.ended();
    if (ended) return Promise.reject(ended);
    if (this.conn.isClosed) return Promise.reject(this.notSent());
    if (this.pending.size >= LIMITS.pendingPerConnectionMax)
      return Promise.reject(new HyperClientError(Status.NOMEM, `more than ${LIMITS.pendingPerConnectionMax} requests outstanding to ${this.name}`));
    const frame = encodeFrame(type, id, body);
    if (frame.length > LIMITS.frameBytesMax)
      return Promise.reject(new HyperClientError(Status.OVERFLOW, `request of ${frame.length} bytes exceeds the frame limit of ${LIMITS.frameBytesMax}`));
    return new Promise<Frame>((resolve, reject) => {
      if (!this.conn.sendFrame(frame)) return reject(this.notSent());
      const p: Pending = { resolve, reject, release: () => {}, onFrame };
      this.pending.set(id, p);
      p.release = deadline.watch((e) => {
        this.pending.delete(id);
        reject(e);
      }, `a reply from ${this.name}`);
    });
  }

  close(): void {
    this.conn.close('closed by the client');
  }

  private notSent(): LinkClosedError {
    return new LinkClosedError(`link to ${this.name} is closed; the request was not sent`, false);
  }

  private onFrame(f: Frame): void {
    if (f.id === 0n) return this.onPush(f);
    const p = this.pending.get(f.id);
    if (!p) return; // a reply after its deadline, or to an aborted request
    if (p.onFrame && f.type !== MsgType.ERROR) {
      let last: boolean;
      try {
        last = p.onFrame(f);
      } catch (e) {
        this.pending.delete(f.id);
        p.release();
        p.reject(e as Error);
        return;
      }
      if (!last) return;
    }
    this.pending.delete(f.id);
    p.release();
    if (f.type === MsgType.ERROR) {
      try {
        const e = decodeError(f.body);
        p.reject(new HyperClientError(e.status, `${this.name} refused the request: ${e.message}`));
      } catch (err) {
        p.reject(new HyperClientError(Status.SERVERERROR, `${this.name} sent a malformed error: ${(err as Error).message}`));
      }
      return;
    }
    p.resolve(f);
  }

  private onClose(reason: string): void {
    for (const [, p] of this.pending) {
      p.release();
      p.reject(new LinkClosedError(`lost ${this.name} (${reason}) after the request was sent`, true));
    }
    this.pending.clear();
    this.onGone(reason);
  }
}
