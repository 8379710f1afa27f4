// What goes into the coordinator's core and what comes out of it. The core is a deterministic
// state machine (core.ts): the shell (the coordinator process, or the simulator) hands it events
// one at a time and carries out the Ready each step returns. Nothing here names a socket, a file,
// a clock or a source of randomness: connections are numbers, and the random bytes the core needs
// (a new server's peer key, a challenge's nonce) arrive with the request that needs them.

import { ClusterConfig, ServerId } from '../common/config';
import { LogFields, LogLevel } from '../common/log';
import { CoordinatorState } from './state';

/**
 * A connection, as the shell numbers them: every new connection gets a higher number than any
 * before it, so that a number never names two connections (something held for a connection that
 * closed can then never reach a newer one).
 */
export type ConnectionId = number;

/** A request decoded by the shell. */
export type CoordinatorRequest =
  /** CONFIG_SUBSCRIBE: the configuration now, and every later one pushed. */
  | { readonly kind: 'subscribe' }
  /**
   * REGISTER_HELLO: the daemon's nonce. `freshNonce` is random bytes the shell drew for this
   * request (PEER_AUTH.nonceBytes): the coordinator's nonce, should it make a challenge.
   */
  | { readonly kind: 'register-hello'; readonly nonce: Buffer; readonly freshNonce: Buffer }
  /**
   * DAEMON_REGISTER, with its proof of the cluster secret if any. `freshKey` is random bytes the
   * shell drew for this request (PEER_AUTH.keyBytes): the peer key, should the server have none.
   */
  | { readonly kind: 'register'; readonly token: string; readonly host: string; readonly port: number; readonly proof?: Buffer; readonly freshKey: Buffer }
  | { readonly kind: 'space-add'; readonly description: string }
  | { readonly kind: 'space-rm'; readonly name: string }
  | { readonly kind: 'space-list' }
  /** REGION_MOVED: a region's copy to `to`, begun under `configVersion`, is complete. */
  | { readonly kind: 'region-moved'; readonly regionId: number; readonly to: ServerId; readonly configVersion: number }
  /** SERVER_OFFLINE, SERVER_ONLINE, SERVER_FORGET: an operator's request about one server. */
  | { readonly kind: 'server-offline' | 'server-online' | 'server-forget'; readonly serverId: ServerId }
  /** HEARTBEAT: a daemon's answer to the coordinator's (any request on its connection counts as hearing from it). */
  | { readonly kind: 'heartbeat' }
  /**
   * A frame the shell could not decode (or of a type the coordinator does not serve): answered
   * with ERROR and this status, in its turn among the connection's other replies.
   */
  | { readonly kind: 'malformed'; readonly status: number; readonly message: string };

export type CoordinatorEvent =
  /** The first event: the state recovered from disk (given to the constructor) is taken up. */
  | { readonly type: 'start' }
  | { readonly type: 'opened'; readonly conn: ConnectionId }
  /** A connection ended, whoever ended it (the core included: see Ready.close). */
  | { readonly type: 'closed'; readonly conn: ConnectionId }
  /** `id` is the request's frame id: the reply carries it back. */
  | { readonly type: 'request'; readonly conn: ConnectionId; readonly id: bigint; readonly request: CoordinatorRequest }
  /**
   * Time passed: one tick of the shell's clock (FailureDetection.tickMs). The core counts them;
   * it never reads a clock. A shell that stalls sends fewer ticks, so a stall of the coordinator
   * itself never makes daemons look silent.
   */
  | { readonly type: 'tick' }
  /** The state of a Ready's persist, and of every earlier one, is durable. */
  | { readonly type: 'persisted'; readonly token: number }
  /** The coordinator is stopping: every connection is closed, and nobody goes offline for it. */
  | { readonly type: 'stop' };

/** A message to a connection. The shell encodes each as the frame named in its comment. */
export type CoordinatorOutgoing =
  /** CONFIG: the answer to a subscription, or a push (id 0). Never holds a peer key. */
  | { readonly kind: 'config'; readonly config: ClusterConfig }
  /** DAEMON_REGISTERED: the server id and its peer key. */
  | { readonly kind: 'registered'; readonly serverId: ServerId; readonly peerKey: Buffer }
  /** REGISTER_CHALLENGE: the coordinator's nonce and its proof of the cluster secret. */
  | { readonly kind: 'register-challenge'; readonly nonce: Buffer; readonly proof: Buffer }
  /** PEER_KEYS (id 0): every registered server's key. Only to connections registered as daemons. */
  | { readonly kind: 'peer-keys'; readonly keys: ReadonlyMap<ServerId, Buffer> }
  /** HEARTBEAT (id 0): to registered daemons, every FailureDetection.heartbeatTicks; they answer at once. */
  | { readonly kind: 'heartbeat'; readonly failureTimeoutMs: number }
  /** COORD_RESP: the outcome of SPACE_ADD, SPACE_RM, SERVER_OFFLINE, SERVER_ONLINE or SERVER_FORGET. */
  | { readonly kind: 'coord-resp'; readonly status: number; readonly message: string }
  /** SPACE_LIST_RESP: the names of the spaces. */
  | { readonly kind: 'space-list'; readonly names: readonly string[] }
  | { readonly kind: 'error'; readonly status: number; readonly message: string };

/**
 * How the core tells a silent server, in its ticks. A server (available, or offline from an old
 * state) not heard from for more than `timeoutTicks` is failed; heartbeats go out several times per
 * timeout, so that one late answer does not fail anyone.
 */
export interface FailureDetection {
  readonly timeoutTicks: number;
  readonly heartbeatTicks: number;
  /** Real time per tick: only to say, in logs and in HEARTBEAT, how long that is. */
  readonly tickMs: number;
}

/** The process's tick (coordinator.ts). */
export const COORDINATOR_TICK_MS = 50;
/** The failure timeout: default, and the bounds --failure-timeout-ms accepts. */
export const FAILURE_TIMEOUT_MS = { default: 2000, min: 200, max: 600_000 } as const;
/** Heartbeats per failure timeout. */
const HEARTBEATS_PER_TIMEOUT = 4;

/** The failure detection of a timeout in ms, on a clock of `tickMs` per tick (at least one tick each). */
export function failureDetection(timeoutMs: number, tickMs = COORDINATOR_TICK_MS): FailureDetection {
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || !(tickMs > 0)) throw new RangeError(`a failure timeout is a positive whole number of ms, got ${timeoutMs}`);
  const timeoutTicks = Math.max(1, Math.ceil(timeoutMs / tickMs));
  return { timeoutTicks, heartbeatTicks: Math.max(1, Math.floor(timeoutTicks / HEARTBEATS_PER_TIMEOUT)), tickMs };
}

export interface CoordinatorSend {
  readonly conn: ConnectionId;
  /** The request's frame id for a reply, 0n for a push. */
  readonly id: bigint;
  readonly message: CoordinatorOutgoing;
}

export type { LogLevel } from '../common/log';

/** A line for the coordinator's log, with the event's fields (src/common/log.ts). */
export interface CoordinatorLogLine {
  readonly level: LogLevel;
  readonly line: string;
  readonly fields?: LogFields;
}

/**
 * What the shell must do after a step, like etcd-io/raft's Ready.
 *
 * Ordering: every send and close in a Ready may go out at once. The core holds back whatever a
 * step produced while a persist is outstanding (its own step's included) and hands it out in the
 * Ready of the `persisted` step that makes it durable: nothing anyone hears reflects a state that
 * is not on disk yet. The shell writes `persist` durably and then feeds `persisted` with its token
 * (writes complete in the order given; each holds the whole state, so a shell may skip a write
 * that a newer one, already given, replaces, and acknowledge only the newer token).
 */
export interface CoordinatorReady {
  /** The whole state to write durably, at most one per step. */
  readonly persist: { readonly token: number; readonly state: CoordinatorState } | undefined;
  /** Messages to send, in this order (a connection's in the order it must receive them). */
  readonly send: readonly CoordinatorSend[];
  /** Connections to close, after the sends above (which still go out on them). */
  readonly close: readonly { readonly conn: ConnectionId; readonly reason: string }[];
  /** Lines for the coordinator's log; not held back (nobody outside learns anything from them). */
  readonly log: readonly CoordinatorLogLine[];
}
