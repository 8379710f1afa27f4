// A daemon's connections to the other daemons, one per peer, each proven (the peer handshake,
// peer-gate.ts) before anything else goes on it. Messages go one way, as frames with request id
// 0: the core keeps every message that wants an answer until its ack comes back (on the peer's
// own link to this daemon) and sends it again, so a message lost with a broken link is resent.

import * as crypto from 'node:crypto';
import { ClusterConfig, findServer, ServerId } from '../common/config';
import { connectTcp, FramedConnection } from '../common/connection';
import { Frame } from '../common/frame';
import * as m from '../common/messages';
import { MsgType, PEER_AUTH } from '../common/protocol';
import { PeerIdentity, provePeer } from './peer-gate';

/** How long connecting and the handshake may take. */
const LINK_OPEN_MS_MAX = 5000;
/** Frames queued for a peer whose link is not open yet; past this, the oldest are dropped (the core resends). */
const QUEUED_FRAMES_MAX = 65_536;

interface PeerLink {
  readonly address: string;
  conn?: FramedConnection;
  /** Frames waiting for the link to open. */
  queue: { type: number; body: unknown[] }[];
  opening: boolean;
}

export interface PeerLinkOptions {
  readonly frameBytesMax?: number;
  /** This daemon's id and key, once registered (waits, bounded). */
  readonly identity: () => Promise<PeerIdentity | undefined>;
  /** A peer's key, from the coordinator's PEER_KEYS (waits, bounded). */
  readonly peerKey: (serverId: number) => Promise<Buffer | undefined>;
  readonly log: (line: string, level?: 'debug' | 'info' | 'warn' | 'error') => void;
}

export class PeerLinks {
  private readonly links = new Map<ServerId, PeerLink>();
  private stopped = false;

  constructor(private readonly opts: PeerLinkOptions) {}

  /** Sends a frame to a server of the configuration; dropped if it cannot be reached (the core resends). */
  send(config: ClusterConfig, to: ServerId, type: number, body: unknown[]): void {
    if (this.stopped) return;
    const s = findServer(config, to);
    if (!s) return;
    const address = `${s.host}:${s.port}`;
    let link = this.links.get(to);
    if (link && link.address !== address) {
      link.conn?.close(`server ${to} moved to ${address}`);
      link = undefined;
    }
    if (!link) {
      link = { address, queue: [], opening: false };
      this.links.set(to, link);
    }
    if (link.conn && !link.conn.isClosed) return void link.conn.send(type, 0n, body);
    if (link.queue.length >= QUEUED_FRAMES_MAX) link.queue.shift();
    link.queue.push({ type, body });
    if (!link.opening) this.open(to, link, s.host, s.port);
  }

  private open(to: ServerId, link: PeerLink, host: string, port: number): void {
    link.opening = true;
    link.conn = undefined;
    const fail = (e: Error) => {
      link.opening = false;
      link.queue = [];
      if (this.links.get(to) === link) this.links.delete(to);
      if (!this.stopped) this.opts.log(`link to server ${to} at ${link.address}: ${e.message}`, 'debug');
    };
    connectTcp(host, port, LINK_OPEN_MS_MAX).then((socket) => {
      if (this.stopped) return void socket.destroy();
      const waiting = new Map<bigint, { resolve: (f: Frame) => void; reject: (e: Error) => void }>();
      const conn: FramedConnection = new FramedConnection(
        socket,
        {
          onFrame: (f) => {
            const w = waiting.get(f.id);
            if (!w) return;
            waiting.delete(f.id);
            if (f.type === MsgType.ERROR) w.reject(new Error(m.decodeError(f.body).message));
            else w.resolve(f);
          },
          onClose: (reason) => {
            for (const w of waiting.values()) w.reject(new Error(reason));
            waiting.clear();
            if (this.links.get(to) === link && link.conn === conn) this.links.delete(to);
          },
        },
        this.opts.frameBytesMax,
      );
      let nextId = 1n;
      const request = (type: number, body: unknown[]) =>
        new Promise<Frame>((resolve, reject) => {
          const id = nextId++;
          waiting.set(id, { resolve, reject });
          conn.send(type, id, body);
        });
      const deadline = setTimeout(() => conn.close('the peer handshake took too long'), LINK_OPEN_MS_MAX);
      (async () => {
        const me = await this.opts.identity();
        if (!me) throw new Error('this daemon is not registered yet');
        await provePeer(request, me, to, (id) => this.opts.peerKey(id), crypto.randomBytes(PEER_AUTH.nonceBytes), `server ${to} at ${link.address}`);
      })().then(
        () => {
          clearTimeout(deadline);
          link.opening = false;
          if (conn.isClosed) return fail(new Error('closed during the handshake'));
          link.conn = conn;
          for (const q of link.queue.splice(0)) conn.send(q.type, 0n, q.body);
        },
        (e: Error) => {
          clearTimeout(deadline);
          conn.close(e.message);
          fail(e);
        },
      );
    }, fail);
  }

  close(): void {
    this.stopped = true;
    for (const link of this.links.values()) link.conn?.close('stopping');
    this.links.clear();
  }
}
