// A daemon's link to the coordinator: registers (proving the cluster secret when there is one),
// subscribes to the configuration, takes the table of peer keys, answers the coordinator's
// heartbeats, and reconnects with backoff when the link breaks. What arrives is handed to the
// daemon through callbacks.
//
// The coordinator fails a daemon it has not heard from within its failure timeout and closes its
// connection; a daemon that was frozen (SIGSTOP) finds the connection closed when it wakes, and
// registers again. A connection cut off silently (no close ever arrives) is caught here: one that
// has carried nothing for longer than the failure timeout the coordinator last announced (its
// heartbeats come several times per timeout) is closed, and the daemon connects again.

import * as crypto from 'node:crypto';
import { ClusterConfig, reviveConfig } from '../common/config';
import { connectTcp, FramedConnection } from '../common/connection';
import { decodeBody, Frame } from '../common/frame';
import * as m from '../common/messages';
import { proofMatches, registerCoordinatorProof, registerDaemonProof } from '../common/peer-auth';
import { MsgType, msgTypeName, PEER_AUTH, statusName } from '../common/protocol';

/** Request ids on the coordinator link. */
const REGISTER_HELLO_ID = 1n;
const REGISTER_ID = 2n;
const SUBSCRIBE_ID = 3n;
const CONNECT_TIMEOUT_MS = 5000;
const RECONNECT_DELAY_MS_MIN = 100;
const RECONNECT_DELAY_MS_MAX = 2000;
/** How often a silent link is looked for. */
const SILENCE_CHECK_MS = 250;

/** The coordinator refused this daemon's registration (or could not prove that it knows the secret). */
export class RegistrationRefused extends Error {}

export interface CoordinatorLinkOptions {
  readonly host: string;
  readonly port: number;
  /** The daemon's identity token (its data directory's). */
  readonly token: string;
  /** Where this daemon listens, as it registers. */
  readonly address: () => { host: string; port: number };
  readonly clusterSecret?: Buffer;
  readonly log: (line: string, level?: 'debug' | 'info' | 'warn' | 'error') => void;
  /** Each registration (the first, and after every reconnection). */
  readonly onRegistered: (serverId: number, key: Buffer) => void;
  readonly onPeerKeys: (keys: Map<number, Buffer>) => void;
  readonly onConfig: (config: ClusterConfig) => void;
  /**
   * Any message from the coordinator, before it is acted on; with the failure timeout it announced
   * when the message is a HEARTBEAT (the daemon's lease follows from it).
   */
  readonly onHeard: (failureTimeoutMs: number | undefined) => void;
}

export class CoordinatorLink {
  private conn?: FramedConnection;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;
  private reconnectDelayMs = RECONNECT_DELAY_MS_MIN;
  private registerNonce?: Buffer;
  private first?: { resolve: () => void; reject: (e: Error) => void };
  /** The coordinator's failure timeout, from its last HEARTBEAT: how long the link may stay silent. */
  private failureTimeoutMs?: number;
  /** When the link in use last carried a frame (or opened). */
  private lastFrameAt = 0;
  private silenceTimer?: NodeJS.Timeout;

  constructor(private readonly opts: CoordinatorLinkOptions) {}

  /** Connects and registers; resolves at the first registration, rejects if it is refused. */
  start(): Promise<void> {
    this.silenceTimer = setInterval(() => this.checkSilence(), SILENCE_CHECK_MS);
    this.silenceTimer.unref();
    return new Promise((resolve, reject) => {
      this.first = { resolve, reject };
      this.connect();
    });
  }

  /** Closes a link that has carried nothing for longer than the coordinator's failure timeout (the close reconnects). */
  private checkSilence(): void {
    const conn = this.conn;
    const timeoutMs = this.failureTimeoutMs;
    if (!conn || timeoutMs === undefined) return;
    const silentMs = performance.now() - this.lastFrameAt;
    if (silentMs > timeoutMs) conn.close(`nothing from the coordinator for ${Math.round(silentMs)} ms (its failure timeout is ${timeoutMs} ms)`);
  }

  /** Sends a one-way frame to the coordinator, if the link is up (the core repeats what matters). */
  send(type: number, body: unknown[]): void {
    this.conn?.send(type, 0n, body);
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    clearInterval(this.silenceTimer);
    this.conn?.close('stopping');
  }

  private connect(): void {
    if (this.stopped) return;
    const { host, port } = this.opts;
    connectTcp(host, port, CONNECT_TIMEOUT_MS).then(
      (socket) => {
        if (this.stopped) return void socket.destroy();
        const conn: FramedConnection = new FramedConnection(socket, {
          onFrame: (f) => this.onFrame(conn, f),
          onClose: (reason) => {
            if (this.conn === conn) this.conn = undefined;
            if (!this.stopped) {
              this.opts.log(`lost the coordinator (${reason}); reconnecting`, 'warn');
              this.scheduleReconnect();
            }
          },
        });
        this.conn = conn;
        this.lastFrameAt = performance.now();
        if (this.opts.clusterSecret) {
          // First the challenge: the proof of the secret covers the coordinator's nonce.
          this.registerNonce = crypto.randomBytes(PEER_AUTH.nonceBytes);
          conn.send(MsgType.REGISTER_HELLO, REGISTER_HELLO_ID, [this.registerNonce]);
        } else {
          const { host: myHost, port: myPort } = this.opts.address();
          conn.send(MsgType.DAEMON_REGISTER, REGISTER_ID, m.encodeRegister({ token: this.opts.token, host: myHost, port: myPort }));
        }
      },
      (err: Error) => {
        this.opts.log(`${err.message}; retrying`, 'warn');
        this.scheduleReconnect();
      },
    );
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, this.reconnectDelayMs);
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, RECONNECT_DELAY_MS_MAX);
  }

  private onFrame(conn: FramedConnection, f: Frame): void {
    if (conn !== this.conn) return;
    this.lastFrameAt = performance.now();
    try {
      switch (f.type) {
        case MsgType.HEARTBEAT: {
          const { failureTimeoutMs } = m.decodeHeartbeat(f.body);
          if (failureTimeoutMs !== undefined && failureTimeoutMs > 0) this.failureTimeoutMs = failureTimeoutMs;
          this.opts.onHeard(this.failureTimeoutMs);
          conn.send(MsgType.HEARTBEAT, 0n, m.encodeHeartbeat());
          return;
        }
        case MsgType.REGISTER_CHALLENGE:
          return this.onChallenge(conn, f);
        case MsgType.DAEMON_REGISTERED: {
          const { serverId, key } = m.decodeRegistered(f.body);
          this.reconnectDelayMs = RECONNECT_DELAY_MS_MIN;
          this.opts.onRegistered(serverId, key);
          conn.send(MsgType.CONFIG_SUBSCRIBE, SUBSCRIBE_ID, []);
          this.first?.resolve();
          this.first = undefined;
          return;
        }
        case MsgType.PEER_KEYS:
          return this.opts.onPeerKeys(m.decodePeerKeys(f.body));
        case MsgType.CONFIG: {
          const [raw] = decodeBody(f.body) as [unknown];
          this.opts.onHeard(undefined);
          return this.opts.onConfig(reviveConfig(raw));
        }
        case MsgType.ERROR: {
          const e = m.decodeError(f.body);
          if (f.id === REGISTER_HELLO_ID || f.id === REGISTER_ID) return this.refused(conn, `the coordinator refused the registration: ${e.message}`);
          return this.opts.log(`coordinator says: ${statusName(e.status)} ${e.message}`, 'warn');
        }
        default:
          this.opts.log(`unexpected ${msgTypeName(f.type)} from the coordinator`, 'warn');
      }
    } catch (e) {
      this.opts.log(`bad message from the coordinator: ${(e as Error).message}`, 'warn');
    }
  }

  /** REGISTER_CHALLENGE: checks the coordinator's proof of the secret, then registers with ours. */
  private onChallenge(conn: FramedConnection, f: Frame): void {
    const secret = this.opts.clusterSecret;
    const daemonNonce = this.registerNonce;
    if (!secret || !daemonNonce) return this.opts.log('REGISTER_CHALLENGE that this daemon did not ask for; ignored', 'warn');
    this.registerNonce = undefined;
    const ch = m.decodeRegisterChallenge(f.body);
    if (!proofMatches(registerCoordinatorProof(secret, daemonNonce, ch.nonce), ch.proof))
      return this.refused(conn, `the coordinator at ${this.opts.host}:${this.opts.port} does not know this cluster secret: the secret is wrong (check --cluster-secret-file)`);
    const { host, port } = this.opts.address();
    const proof = registerDaemonProof(secret, daemonNonce, ch.nonce, this.opts.token, host, port);
    conn.send(MsgType.DAEMON_REGISTER, REGISTER_ID, m.encodeRegister({ token: this.opts.token, host, port, proof }));
  }

  /**
   * The registration failed. A daemon still starting fails with the reason; a running one (its
   * coordinator restarted with another secret, say) says so and keeps trying, with backoff.
   */
  private refused(conn: FramedConnection, reason: string): void {
    const first = this.first;
    this.first = undefined;
    if (first) {
      this.stopped = true;
      conn.close(reason);
      return first.reject(new RegistrationRefused(reason));
    }
    this.opts.log(`${reason}; trying again`, 'error');
    conn.close(reason);
  }
}
