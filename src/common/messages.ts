// The bodies of every message: one msgpack array each, fields by position (docs/protocol.md).
// Decoders check shape and types and throw ProtocolError; they never trust the peer.

import { decodeBody } from './frame';
import { LIMITS, PEER_AUTH } from './protocol';

export class ProtocolError extends Error {}

/** An attribute as it travels: its name, the datatype number the sender meant, the value bytes. */
export interface WireAttr {
  readonly name: string;
  readonly datatype: number;
  readonly value: Buffer;
}
export type WireAttrTuple = [string, number, Buffer];

export interface WireCheck extends WireAttr {
  readonly op: number;
}

export interface WireFunc extends WireAttr {
  readonly op: number;
  /** For an operation on one value of a map: the map key, as its datatype and bytes. */
  readonly mapKey?: { readonly datatype: number; readonly value: Buffer };
}

export interface GetRequest {
  readonly configVersion: number;
  readonly spaceId: number;
  readonly key: Buffer;
}
export interface AtomicRequest extends GetRequest {
  readonly flags: number;
  readonly checks: readonly WireCheck[];
  readonly funcs: readonly WireFunc[];
}
export type DelRequest = GetRequest;

export interface WriteResponse {
  readonly status: number;
  /** The attribute an UNKNOWNATTR, WRONGTYPE or DUPEATTR names; '' otherwise. */
  readonly attr: string;
  readonly message: string;
}

export interface GetResponse {
  readonly status: number;
  readonly attrs: readonly WireAttr[];
  readonly message: string;
}

// ---- field checks --------------------------------------------------------------------------

function array(v: unknown, what: string, min: number, max = min): unknown[] {
  if (!Array.isArray(v)) throw new ProtocolError(`${what}: expected an array`);
  if (v.length < min || v.length > max) throw new ProtocolError(`${what}: expected ${min === max ? min : `${min}-${max}`} fields, got ${v.length}`);
  return v;
}

function uint(v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) throw new ProtocolError(`${what}: expected an unsigned integer`);
  return n;
}

function str(v: unknown, what: string, maxBytes = 1024): string {
  if (typeof v !== 'string') throw new ProtocolError(`${what}: expected a string`);
  if (Buffer.byteLength(v) > maxBytes) throw new ProtocolError(`${what}: longer than ${maxBytes} bytes`);
  return v;
}

function bin(v: unknown, what: string, maxBytes: number): Buffer {
  if (!(v instanceof Uint8Array)) throw new ProtocolError(`${what}: expected binary`);
  if (v.length > maxBytes) throw new ProtocolError(`${what}: ${v.length} bytes exceed the limit of ${maxBytes}`);
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length);
}

/** Exactly `n` bytes: nonces, keys and proofs. */
function fixedBin(v: unknown, what: string, n: number): Buffer {
  const b = bin(v, what, n);
  if (b.length !== n) throw new ProtocolError(`${what}: expected ${n} bytes, got ${b.length}`);
  return b;
}

function list<T>(v: unknown, what: string, max: number, each: (x: unknown, i: number) => T): T[] {
  if (!Array.isArray(v)) throw new ProtocolError(`${what}: expected an array`);
  if (v.length > max) throw new ProtocolError(`${what}: more than ${max} entries`);
  return v.map(each);
}

function decodeArray(body: Buffer, what: string, min: number, max = min): unknown[] {
  let v: unknown;
  try {
    v = decodeBody(body);
  } catch (e) {
    throw new ProtocolError(`${what}: malformed msgpack body (${(e as Error).message})`);
  }
  return array(v, what, min, max);
}

function wireAttr(v: unknown, what: string): WireAttr {
  const [name, datatype, value] = array(v, what, 3);
  return { name: str(name, `${what} name`), datatype: uint(datatype, `${what} datatype`, 0xffff), value: bin(value, `${what} value`, LIMITS.valueBytesMax) };
}

function wireOpAttr(v: unknown, what: string): WireCheck {
  const [op, name, datatype, value] = array(v, what, 4);
  return { op: uint(op, `${what} op`, 0xffff), ...wireAttr([name, datatype, value], what) };
}

function wireFunc(v: unknown, what: string): WireFunc {
  const a = array(v, what, 4, 6);
  if (a.length === 5) throw new ProtocolError(`${what}: expected 4 or 6 fields, got 5`);
  const base = wireOpAttr(a.slice(0, 4), what);
  if (a.length === 4) return base;
  return { ...base, mapKey: { datatype: uint(a[4], `${what} map key datatype`, 0xffff), value: bin(a[5], `${what} map key`, LIMITS.keyBytesMax) } };
}

export const toTuple = (a: WireAttr): WireAttrTuple => [a.name, a.datatype, a.value];

// ---- coordinator family ----------------------------------------------------------------------

export const decodeSubscribe = (body: Buffer): void => void decodeArray(body, 'CONFIG_SUBSCRIBE', 0);

/** DAEMON_REGISTER: who the daemon is and where clients reach it; with a cluster secret, its proof. */
export interface RegisterRequest {
  readonly token: string;
  readonly host: string;
  readonly port: number;
  /** HMAC of the cluster secret over the registration (peer-auth.ts); absent in an open cluster. */
  readonly proof?: Buffer;
}

export function decodeRegister(body: Buffer): RegisterRequest {
  const [token, host, port, proof] = decodeArray(body, 'DAEMON_REGISTER', 3, 4);
  const r = { token: str(token, 'token', 128), host: str(host, 'host', 256), port: uint(port, 'port', 65535) };
  return proof === undefined ? r : { ...r, proof: fixedBin(proof, 'proof', PEER_AUTH.proofBytes) };
}

export function encodeRegister(r: RegisterRequest): unknown[] {
  return r.proof ? [r.token, r.host, r.port, r.proof] : [r.token, r.host, r.port];
}

/** DAEMON_REGISTERED: the server id, and the peer key this daemon proves itself with. */
export function decodeRegistered(body: Buffer): { serverId: number; key: Buffer } {
  const [serverId, key] = decodeArray(body, 'DAEMON_REGISTERED', 2);
  return { serverId: uint(serverId, 'server id', 0xffffffff), key: fixedBin(key, 'peer key', PEER_AUTH.keyBytes) };
}

/** REGISTER_HELLO: the daemon's nonce. */
export function decodeRegisterHello(body: Buffer): { nonce: Buffer } {
  const [nonce] = decodeArray(body, 'REGISTER_HELLO', 1);
  return { nonce: fixedBin(nonce, 'nonce', PEER_AUTH.nonceBytes) };
}

/** REGISTER_CHALLENGE: the coordinator's nonce and its proof that it knows the secret. */
export function decodeRegisterChallenge(body: Buffer): { nonce: Buffer; proof: Buffer } {
  const [nonce, proof] = decodeArray(body, 'REGISTER_CHALLENGE', 2);
  return { nonce: fixedBin(nonce, 'nonce', PEER_AUTH.nonceBytes), proof: fixedBin(proof, 'proof', PEER_AUTH.proofBytes) };
}

/** PEER_KEYS: every registered server's peer key. */
export function decodePeerKeys(body: Buffer): Map<number, Buffer> {
  const [entries] = decodeArray(body, 'PEER_KEYS', 1);
  const out = new Map<number, Buffer>();
  list(entries, 'peer keys', PEER_AUTH.serversMax, (x, i) => {
    const [id, key] = array(x, `peer key ${i}`, 2);
    out.set(uint(id, `peer key ${i} server id`, 0xffffffff), fixedBin(key, `peer key ${i} key`, PEER_AUTH.keyBytes));
  });
  return out;
}

export function encodePeerKeys(keys: ReadonlyMap<number, Buffer>): unknown[] {
  return [[...keys].sort((a, b) => a[0] - b[0]).map(([id, key]) => [id, key])];
}

export function decodeSpaceAdd(body: Buffer): string {
  return str(decodeArray(body, 'SPACE_ADD', 1)[0], 'description', 64 * 1024);
}

export function decodeSpaceRm(body: Buffer): string {
  return str(decodeArray(body, 'SPACE_RM', 1)[0], 'space name', 1024);
}

export const decodeSpaceList = (body: Buffer): void => void decodeArray(body, 'SPACE_LIST', 0);

/** SERVER_OFFLINE, SERVER_ONLINE and SERVER_FORGET: the server the operator means. `what` is the message's name. */
export function decodeServerRequest(body: Buffer, what: string): { serverId: number } {
  return { serverId: uint(decodeArray(body, what, 1)[0], 'server id', 0xffffffff) };
}

export function encodeServerRequest(serverId: number): unknown[] {
  return [serverId];
}

/**
 * HEARTBEAT: from the coordinator `[failure timeout ms]`, a daemon's answer `[]`. The timeout
 * tells a daemon how long a silent coordinator link may be trusted (coordinator-link.ts).
 */
export function decodeHeartbeat(body: Buffer): { failureTimeoutMs?: number } {
  const [timeout] = decodeArray(body, 'HEARTBEAT', 0, 1);
  return timeout === undefined ? {} : { failureTimeoutMs: uint(timeout, 'failure timeout', 0xffffffff) };
}

export function encodeHeartbeat(failureTimeoutMs?: number): unknown[] {
  return failureTimeoutMs === undefined ? [] : [failureTimeoutMs];
}

export function decodeCoordResp(body: Buffer): { status: number; message: string } {
  const [status, message] = decodeArray(body, 'COORD_RESP', 2);
  return { status: uint(status, 'status', 0xffff), message: str(message, 'message', 64 * 1024) };
}

// ---- key operations --------------------------------------------------------------------------

function keyHeader(v: unknown[], what: string): GetRequest {
  return {
    configVersion: uint(v[0], `${what} config version`),
    spaceId: uint(v[1], `${what} space`, 0xffffffff),
    key: bin(v[2], `${what} key`, LIMITS.keyBytesMax),
  };
}

export function decodeGet(body: Buffer): GetRequest {
  return keyHeader(decodeArray(body, 'REQ_GET', 3), 'REQ_GET');
}

export function decodeDel(body: Buffer): DelRequest {
  return keyHeader(decodeArray(body, 'REQ_DEL', 3), 'REQ_DEL');
}

export function decodeAtomic(body: Buffer): AtomicRequest {
  const v = decodeArray(body, 'REQ_ATOMIC', 6);
  // Each list alone within the micro-operation limit; together, and with MAP_ADD's entries counted,
  // the daemon checks them against the schema (apply.ts).
  const max = LIMITS.microOpsPerRequestMax;
  return {
    ...keyHeader(v, 'REQ_ATOMIC'),
    flags: uint(v[3], 'flags', 0xffff),
    checks: list(v[4], 'checks', max, (x, i) => wireOpAttr(x, `check ${i}`)),
    funcs: list(v[5], 'funcs', max, (x, i) => wireFunc(x, `func ${i}`)),
  };
}

export function encodeGet(r: GetRequest): unknown[] {
  return [r.configVersion, r.spaceId, r.key];
}

export function encodeAtomic(r: AtomicRequest): unknown[] {
  return [
    r.configVersion,
    r.spaceId,
    r.key,
    r.flags,
    r.checks.map((c) => [c.op, c.name, c.datatype, c.value]),
    r.funcs.map((f) => (f.mapKey ? [f.op, f.name, f.datatype, f.value, f.mapKey.datatype, f.mapKey.value] : [f.op, f.name, f.datatype, f.value])),
  ];
}

export function encodeWriteResponse(r: WriteResponse): unknown[] {
  return [r.status, r.attr, r.message];
}

export function decodeWriteResponse(body: Buffer): WriteResponse {
  const [status, attr, message] = decodeArray(body, 'write response', 3);
  return { status: uint(status, 'status', 0xffff), attr: str(attr, 'attr'), message: str(message, 'message', 64 * 1024) };
}

export function encodeGetResponse(r: GetResponse): unknown[] {
  return [r.status, r.attrs.map(toTuple), r.message];
}

export function decodeGetResponse(body: Buffer): GetResponse {
  const [status, attrs, message] = decodeArray(body, 'RESP_GET', 3);
  return {
    status: uint(status, 'status', 0xffff),
    attrs: list(attrs, 'attrs', LIMITS.attributesPerRequestMax, (x, i) => wireAttr(x, `attr ${i}`)),
    message: str(message, 'message', 64 * 1024),
  };
}

export function decodeError(body: Buffer): { status: number; message: string } {
  const [status, message] = decodeArray(body, 'ERROR', 2);
  return { status: uint(status, 'status', 0xffff), message: str(message, 'message', 64 * 1024) };
}

// ---- search family ---------------------------------------------------------------------------

export interface SearchRequest {
  readonly configVersion: number;
  readonly spaceId: number;
  readonly checks: readonly WireCheck[];
  /** The subspace the planner chose, and the regions of it to search (those this daemon heads). */
  readonly subspace: number;
  readonly regions: readonly number[];
  /** For sorted_search: the attribute to sort by, '' for none. */
  readonly sortBy: string;
  /** For sorted_search: how many objects at most, 0 for no limit. */
  readonly limit: number;
  /** For sorted_search: largest first. */
  readonly descending: boolean;
}

export interface SearchObject {
  readonly key: Buffer;
  readonly attrs: readonly WireAttr[];
}

function searchHeader(v: unknown[], what: string): { configVersion: number; spaceId: number; checks: WireCheck[] } {
  return {
    configVersion: uint(v[0], `${what} config version`),
    spaceId: uint(v[1], `${what} space`, 0xffffffff),
    checks: list(v[2], 'checks', LIMITS.attributesPerRequestMax, (x, i) => wireOpAttr(x, `check ${i}`)),
  };
}

const checkTuples = (checks: readonly WireCheck[]) => checks.map((c) => [c.op, c.name, c.datatype, c.value]);

export function encodeSearch(r: SearchRequest): unknown[] {
  return [r.configVersion, r.spaceId, checkTuples(r.checks), r.sortBy, r.limit, r.descending ? 1 : 0, r.subspace, r.regions];
}

export function decodeSearch(body: Buffer): SearchRequest {
  const v = decodeArray(body, 'REQ_SEARCH', 8);
  return {
    ...searchHeader(v, 'REQ_SEARCH'),
    sortBy: str(v[3], 'sort by'),
    limit: uint(v[4], 'limit'),
    descending: uint(v[5], 'descending', 1) === 1,
    subspace: uint(v[6], 'subspace', 0xffff),
    regions: list(v[7], 'regions', 1 << 20, (x, i) => uint(x, `region ${i}`, 0xffffffff)),
  };
}

/** REQ_COUNT and REQ_GROUP_DEL: the predicate and the planned subspace and regions. */
export interface PredicateRequest {
  readonly configVersion: number;
  readonly spaceId: number;
  readonly checks: readonly WireCheck[];
  readonly subspace: number;
  readonly regions: readonly number[];
}

export function encodePredicateRequest(r: PredicateRequest): unknown[] {
  return [r.configVersion, r.spaceId, checkTuples(r.checks), r.subspace, r.regions];
}

export function decodePredicateRequest(body: Buffer, what: string): PredicateRequest {
  const v = decodeArray(body, what, 5);
  return {
    ...searchHeader(v, what),
    subspace: uint(v[3], 'subspace', 0xffff),
    regions: list(v[4], 'regions', 1 << 20, (x, i) => uint(x, `region ${i}`, 0xffffffff)),
  };
}

export function encodeSearchItems(objects: readonly SearchObject[]): unknown[] {
  return [objects.map((o) => [o.key, o.attrs.map(toTuple)])];
}

export function decodeSearchItems(body: Buffer): SearchObject[] {
  const [objects] = decodeArray(body, 'RESP_SEARCH_ITEMS', 1);
  return list(objects, 'objects', 1 << 20, (x, i) => {
    const [key, attrs] = array(x, `object ${i}`, 2);
    return {
      key: bin(key, `object ${i} key`, LIMITS.keyBytesMax),
      attrs: list(attrs, `object ${i} attrs`, LIMITS.attributesPerRequestMax, (a, j) => wireAttr(a, `object ${i} attr ${j}`)),
    };
  });
}

/** RESP_SEARCH_DONE, RESP_COUNT and RESP_GROUP_DEL: an outcome and a count. */
export interface CountResponse extends WriteResponse {
  readonly count: number;
}

export function encodeCountResponse(r: CountResponse): unknown[] {
  return [r.status, r.attr, r.message, r.count];
}

export function decodeCountResponse(body: Buffer): CountResponse {
  const [status, attr, message, count] = decodeArray(body, 'count response', 4);
  return { status: uint(status, 'status', 0xffff), attr: str(attr, 'attr'), message: str(message, 'message', 64 * 1024), count: uint(count, 'count') };
}

// ---- between daemons -------------------------------------------------------------------------

/** REPLICA_ACK in the peer handshake: the answer to PEER_PROOF (between cores, see decodePeerAck). */
export function decodeReplicaAck(body: Buffer): { status: number; message: string } {
  const [status, message] = decodeArray(body, 'REPLICA_ACK', 2);
  return { status: uint(status, 'status', 0xffff), message: str(message, 'message', 64 * 1024) };
}

/**
 * REGION_MOVED: a region's copy to `to` is complete. `configVersion` is the configuration under
 * which that copy began (its REGION_RESET): the coordinator ignores a report older than the move.
 */
export interface RegionMoved {
  readonly regionId: number;
  readonly to: number;
  readonly configVersion: number;
}

export function encodeRegionMoved(r: RegionMoved): unknown[] {
  return [r.regionId, r.to, r.configVersion];
}

export function decodeRegionMoved(body: Buffer): RegionMoved {
  const [regionId, to, configVersion] = decodeArray(body, 'REGION_MOVED', 3);
  return { regionId: uint(regionId, 'region', 0xffffffff), to: uint(to, 'server', 0xffffffff), configVersion: uint(configVersion, 'config version') };
}

// ---- the peer handshake ----------------------------------------------------------------------

/** PEER_HELLO: the connecting daemon's server id and nonce. */
export interface PeerHello {
  readonly serverId: number;
  readonly nonce: Buffer;
}

export function decodePeerHello(body: Buffer): PeerHello {
  const [serverId, nonce] = decodeArray(body, 'PEER_HELLO', 2);
  return { serverId: uint(serverId, 'server id', 0xffffffff), nonce: fixedBin(nonce, 'nonce', PEER_AUTH.nonceBytes) };
}

/** PEER_CHALLENGE: the accepting daemon's server id, its nonce, and its proof. */
export interface PeerChallenge {
  readonly serverId: number;
  readonly nonce: Buffer;
  readonly proof: Buffer;
}

export function decodePeerChallenge(body: Buffer): PeerChallenge {
  const [serverId, nonce, proof] = decodeArray(body, 'PEER_CHALLENGE', 3);
  return { serverId: uint(serverId, 'server id', 0xffffffff), nonce: fixedBin(nonce, 'nonce', PEER_AUTH.nonceBytes), proof: fixedBin(proof, 'proof', PEER_AUTH.proofBytes) };
}

/** PEER_PROOF: the connecting daemon's proof. */
export function decodePeerProof(body: Buffer): { proof: Buffer } {
  const [proof] = decodeArray(body, 'PEER_PROOF', 1);
  return { proof: fixedBin(proof, 'proof', PEER_AUTH.proofBytes) };
}

// ---- messages between daemon cores (docs/protocol.md 4.20): one-way frames, request id 0 ----

/** A message id of the daemon core: the sender's incarnation and a sequence number in it. */
export interface WireMessageId {
  readonly incarnation: number;
  readonly seq: number;
}

/** REPLICA_WRITE: an update of one key in one region (a chain step, or a copy or forward while the region moves). */
export interface PeerUpdate {
  readonly id: WireMessageId;
  readonly configVersion: number;
  readonly spaceId: number;
  readonly subspace: number;
  readonly regionId: number;
  readonly key: Buffer;
  readonly version: number;
  /** Null: the object is gone (a tombstone in the key subspace, a removal elsewhere). */
  readonly values: readonly Buffer[] | null;
  readonly transfer: boolean;
}

export function encodePeerUpdate(u: PeerUpdate): unknown[] {
  return [u.id.incarnation, u.id.seq, u.configVersion, u.spaceId, u.subspace, u.regionId, u.key, u.version, u.values, u.transfer ? 1 : 0];
}

export function decodePeerUpdate(body: Buffer): PeerUpdate {
  const v = decodeArray(body, 'REPLICA_WRITE', 10);
  return {
    id: { incarnation: uint(v[0], 'incarnation'), seq: uint(v[1], 'sequence number') },
    configVersion: uint(v[2], 'config version'),
    spaceId: uint(v[3], 'space', 0xffffffff),
    subspace: uint(v[4], 'subspace', 0xffff),
    regionId: uint(v[5], 'region', 0xffffffff),
    key: bin(v[6], 'key', LIMITS.keyBytesMax),
    version: uint(v[7], 'version'),
    values: v[8] === null ? null : list(v[8], 'values', LIMITS.attributesPerRequestMax, (x, i) => bin(x, `value ${i}`, LIMITS.valueBytesMax)),
    transfer: uint(v[9], 'transfer', 1) === 1,
  };
}

/** REGION_RESET and REGION_HANDOFF between cores. */
export interface PeerRegionMessage {
  readonly id: WireMessageId;
  readonly configVersion: number;
  readonly regionId: number;
}

export function encodePeerRegionMessage(r: PeerRegionMessage): unknown[] {
  return [r.id.incarnation, r.id.seq, r.configVersion, r.regionId];
}

export function decodePeerRegionMessage(body: Buffer, what: string): PeerRegionMessage {
  const v = decodeArray(body, what, 4);
  return { id: { incarnation: uint(v[0], 'incarnation'), seq: uint(v[1], 'sequence number') }, configVersion: uint(v[2], 'config version'), regionId: uint(v[3], 'region', 0xffffffff) };
}

/** REPLICA_ACK between cores: the answer to the message with this id. */
export interface PeerAck {
  readonly id: WireMessageId;
  readonly status: number;
  readonly message: string;
}

export function encodePeerAck(a: PeerAck): unknown[] {
  return [a.id.incarnation, a.id.seq, a.status, a.message];
}

export function decodePeerAck(body: Buffer): PeerAck {
  const v = decodeArray(body, 'REPLICA_ACK', 4);
  return { id: { incarnation: uint(v[0], 'incarnation'), seq: uint(v[1], 'sequence number') }, status: uint(v[2], 'status', 0xffff), message: str(v[3], 'message', 65536) };
}

/** PEER_ERASE: group_del's delete of one key, at its point leader, if the checks still hold. */
export interface PeerErase {
  readonly id: WireMessageId;
  readonly configVersion: number;
  readonly spaceId: number;
  readonly key: Buffer;
  readonly checks: readonly WireCheck[];
}

export function encodePeerErase(e: PeerErase): unknown[] {
  return [e.id.incarnation, e.id.seq, e.configVersion, e.spaceId, e.key, checkTuples(e.checks)];
}

export function decodePeerErase(body: Buffer): PeerErase {
  const v = decodeArray(body, 'PEER_ERASE', 6);
  return {
    id: { incarnation: uint(v[0], 'incarnation'), seq: uint(v[1], 'sequence number') },
    configVersion: uint(v[2], 'config version'),
    spaceId: uint(v[3], 'space', 0xffffffff),
    key: bin(v[4], 'key', LIMITS.keyBytesMax),
    checks: list(v[5], 'checks', LIMITS.microOpsPerRequestMax, (x, i) => wireOpAttr(x, `check ${i}`)),
  };
}
