// The one place that defines the wire protocol: message types, status codes and limits.
// docs/protocol.md describes the same figures for a C programmer; test/protocol-constants.test.ts
// fails when this file, the C headers and the docs drift apart.

/** Status codes: HyperDex 0.4's `hyperclient_returncode` numbers, plus our additions in free slots. */
export const Status = {
  SUCCESS: 8448,
  NOTFOUND: 8449,
  SEARCHDONE: 8450,
  CMPFAIL: 8451,
  READONLY: 8452,
  UNKNOWNSPACE: 8512,
  COORDFAIL: 8513,
  SERVERERROR: 8514,
  POLLFAILED: 8515,
  OVERFLOW: 8516,
  RECONFIGURE: 8517,
  LOGICERROR: 8518,
  TIMEOUT: 8519,
  UNKNOWNATTR: 8520,
  DUPEATTR: 8521,
  SEEERRNO: 8522,
  NONEPENDING: 8523,
  DONTUSEKEY: 8524,
  WRONGTYPE: 8525,
  NOMEM: 8526,
  CONNECTFAIL: 8527,
  DISCONNECT: 8528,
  /** A request the receiver could not decode or that breaks the protocol's rules. */
  BADREQUEST: 8529,
  /** add-space: the description does not parse, or a space of that name exists. */
  BADSPACE: 8530,
  /**
   * The sender has not proven it may send this: a daemon-to-daemon message on a connection that
   * has not passed the peer handshake, a registration without a valid proof of the cluster
   * secret, a REGION_MOVED from a connection that does not hold the region.
   */
  UNAUTHORIZED: 8531,
  /**
   * Client libraries only: the connection closed after a write was sent and before its reply. The
   * write may or may not have been applied, and the client does not send it again (an atomic
   * operation applied twice would be wrong); the program must find out by reading.
   */
  UNKNOWNOUTCOME: 8532,
  EXCEPTION: 8574,
  ZERO: 8575,
  A: 8576,
  B: 8577,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

const STATUS_NAMES = new Map<number, string>(Object.entries(Status).map(([k, v]) => [v, k]));

export function statusName(code: number): string {
  return STATUS_NAMES.get(code) ?? `UNKNOWN(${code})`;
}

export function isStatus(code: unknown): code is StatusCode {
  return typeof code === 'number' && STATUS_NAMES.has(code);
}

/**
 * Message types, numbered by family: 0x01xx between anyone and the coordinator, 0x02xx client
 * requests to daemons and their responses, 0x03xx between daemons, 0x7fxx protocol errors.
 */
export const MsgType = {
  // coordinator family
  CONFIG_SUBSCRIBE: 0x0101,
  CONFIG: 0x0102,
  DAEMON_REGISTER: 0x0103,
  DAEMON_REGISTERED: 0x0104,
  SPACE_ADD: 0x0105,
  SPACE_RM: 0x0106,
  SPACE_LIST: 0x0107,
  SPACE_LIST_RESP: 0x0108,
  COORD_RESP: 0x0109,
  /** A daemon finished copying a region to the daemon it moves to. */
  REGION_MOVED: 0x010a,
  /** Registration with a cluster secret: the daemon's nonce, answered by REGISTER_CHALLENGE. */
  REGISTER_HELLO: 0x010b,
  REGISTER_CHALLENGE: 0x010c,
  /** Pushed to registered daemons only: every registered server's peer key. */
  PEER_KEYS: 0x010d,
  /** Operator requests about one server (hyperdex server-offline, server-online, server-forget): COORD_RESP. */
  SERVER_OFFLINE: 0x010e,
  SERVER_ONLINE: 0x010f,
  SERVER_FORGET: 0x0110,
  /**
   * On a registered daemon's connection, both ways: the coordinator sends one every heartbeat
   * interval (with its failure timeout), the daemon answers at once. A daemon not heard from within
   * the failure timeout is failed.
   */
  HEARTBEAT: 0x0111,
  // key operations family
  REQ_GET: 0x0201,
  RESP_GET: 0x0202,
  REQ_ATOMIC: 0x0203,
  RESP_ATOMIC: 0x0204,
  REQ_DEL: 0x0205,
  RESP_DEL: 0x0206,
  REQ_SEARCH: 0x0207,
  RESP_SEARCH_ITEMS: 0x0208,
  RESP_SEARCH_DONE: 0x0209,
  REQ_COUNT: 0x020a,
  RESP_COUNT: 0x020b,
  REQ_GROUP_DEL: 0x020c,
  RESP_GROUP_DEL: 0x020d,
  // between daemons: replication and state transfer
  REPLICA_WRITE: 0x0301,
  REPLICA_ACK: 0x0302,
  REGION_RESET: 0x0303,
  REGION_HANDOFF: 0x0304,
  /** The peer handshake that must open every daemon-to-daemon connection (docs/protocol.md 4.21). */
  PEER_HELLO: 0x0305,
  PEER_CHALLENGE: 0x0306,
  PEER_PROOF: 0x0307,
  /** group_del: delete one key at its point leader if it still matches (answered with REPLICA_ACK). */
  PEER_ERASE: 0x0308,
  // protocol errors
  ERROR: 0x7f01,
} as const;
export type MsgTypeNumber = (typeof MsgType)[keyof typeof MsgType];

const MSG_NAMES = new Map<number, string>(Object.entries(MsgType).map(([k, v]) => [v, k]));

export function msgTypeName(t: number): string {
  return MSG_NAMES.get(t) ?? `UNKNOWN(0x${t.toString(16).padStart(4, '0')})`;
}

export function isMsgType(t: number): t is MsgTypeNumber {
  return MSG_NAMES.has(t);
}

/** Flags of REQ_ATOMIC. */
export const AtomicFlag = {
  /** The object must exist (cond_put, and every atomic operation on an object). */
  FAIL_IF_NOT_FOUND: 1,
  /** The object must not exist (put_if_not_exist). */
  FAIL_IF_FOUND: 2,
  /** Delete the object if the checks hold (how group_del deletes each match); no functions allowed. */
  ERASE: 4,
} as const;

/**
 * Operations inside REQ_ATOMIC's list of functions. A function that works on one value of a map
 * carries the map key as two extra fields (see docs/protocol.md).
 */
export const FuncOp = {
  SET: 1,
  STRING_APPEND: 2,
  STRING_PREPEND: 3,
  NUM_ADD: 4,
  NUM_SUB: 5,
  NUM_MUL: 6,
  NUM_DIV: 7,
  NUM_MOD: 8,
  NUM_AND: 9,
  NUM_OR: 10,
  NUM_XOR: 11,
  LIST_LPUSH: 12,
  LIST_RPUSH: 13,
  SET_ADD: 14,
  SET_REMOVE: 15,
  SET_INTERSECT: 16,
  SET_UNION: 17,
  MAP_ADD: 18,
  MAP_REMOVE: 19,
} as const;
export type FuncOpNumber = (typeof FuncOp)[keyof typeof FuncOp];

/** Comparisons in checks (REQ_ATOMIC's conditions) and search predicates. */
export const CheckOp = {
  EQUALS: 1,
  LESS_THAN: 2,
  LESS_EQUAL: 3,
  GREATER_EQUAL: 4,
  GREATER_THAN: 5,
} as const;
export type CheckOpNumber = (typeof CheckOp)[keyof typeof CheckOp];

/** Search results travel in batches of at most this many objects (and about this many bytes). */
export const SEARCH_BATCH = { objectsMax: 256, bytesMax: 1024 * 1024 } as const;

/** Frame layout: u32 size (bytes after this field), u16 type, u64 request id, msgpack body. */
export const FRAME = {
  sizeFieldBytes: 4,
  headerBytes: 4 + 2 + 8,
  /** Smallest legal value of the size field: type + id + one byte of body. */
  sizeMin: 2 + 8 + 1,
} as const;

export const LIMITS = {
  /** Default largest frame a process accepts; configurable per process. */
  frameBytesMax: 16 * 1024 * 1024,
  keyBytesMax: 64 * 1024,
  valueBytesMax: 8 * 1024 * 1024,
  /** All of an object's values together: small enough that any object fits in one reply frame. */
  objectBytesMax: 15 * 1024 * 1024,
  /**
   * Attributes one message carries or names once each: a put's or cond_put's attributes, a search
   * predicate's checks, RESP_GET's and each searched object's attributes, REPLICA_WRITE's values.
   * A space has at most 64 attributes (SCHEMA_LIMITS), so only a broken peer reaches it.
   */
  attributesPerRequestMax: 256,
  /**
   * Micro-operations in one REQ_ATOMIC: its checks plus its funcs, where a MAP_ADD counts once per
   * entry of its map (funcMicroOps), so that a map operation on N keys counts N however a client
   * encodes it; HyperDex 0.4 sent one func per map entry. The original had no limit; this one is
   * generous (a map_atomic_add on 65,536 keys is about 2.5 MiB, under the 16 MiB frame) and bounds
   * the work one request asks of a daemon. Over it: BADREQUEST from the daemon, OVERFLOW from the
   * clients before sending.
   */
  microOpsPerRequestMax: 65536,
  /** Requests a client may have outstanding on one connection before it waits. */
  pendingPerConnectionMax: 65536,
  /** How long a client waits for a reply before it reports TIMEOUT. */
  requestTimeoutMs: 30_000,
  /** Bytes a connection may have queued for writing before the peer is dropped as too slow. */
  sendQueueBytesMax: 64 * 1024 * 1024,
} as const;

/** Sizes and waits of the peer handshake and of registration with a cluster secret (peer-auth.ts). */
export const PEER_AUTH = {
  /** A server's peer key, as the coordinator generates it. */
  keyBytes: 32,
  /** Every nonce, fresh from a cryptographic random source. */
  nonceBytes: 32,
  /** An HMAC-SHA256. */
  proofBytes: 32,
  /**
   * How long a daemon waits for a key it does not know yet (its own, or a peer's): the
   * coordinator's PEER_KEYS may reach it after the peer that the same registration let in.
   */
  keyWaitMsMax: 2000,
  /** Entries of one PEER_KEYS. */
  serversMax: 65536,
  /** A cluster secret read from its file: at least this many bytes... */
  secretBytesMin: 16,
  /** ...and at most this many. */
  secretBytesMax: 4096,
} as const;

/**
 * State of a server in the configuration. Only an AVAILABLE server is given regions, is sent
 * requests by clients, or takes part in moves; clients treat every other state alike (the region
 * it heads is unavailable), so a new state can be added without changing them.
 */
export const ServerState = {
  /** Registered, and heard from within the coordinator's failure timeout. */
  AVAILABLE: 1,
  /**
   * Registered before, not connected: written by coordinators before failure detection (a server
   * whose connection closed). A coordinator now never makes a server OFFLINE; one read from an
   * old state file becomes AVAILABLE when it registers, or FAILED if it does not within the
   * failure timeout.
   */
  OFFLINE: 2,
  /**
   * Taken offline by an operator (server-offline), connected or not: it stays so, across
   * reconnections, restarts and silences, until server-online.
   */
  ADMIN_OFFLINE: 3,
  /**
   * The coordinator has not heard from it (heartbeats, registration) within its failure timeout:
   * dead, frozen, or cut off. It becomes AVAILABLE again only by registering again.
   */
  FAILED: 4,
} as const;
export type ServerStateNumber = (typeof ServerState)[keyof typeof ServerState];

const SERVER_STATE_NAMES = new Map<number, string>([
  [ServerState.AVAILABLE, 'available'],
  [ServerState.OFFLINE, 'offline'],
  [ServerState.ADMIN_OFFLINE, 'admin-offline'],
  [ServerState.FAILED, 'failed'],
]);

/** A server state as operators read it ('available', 'offline', 'admin-offline', 'failed'). */
export function serverStateName(state: number): string {
  return SERVER_STATE_NAMES.get(state) ?? `unknown(${state})`;
}
