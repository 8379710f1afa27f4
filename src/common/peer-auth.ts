// The proofs of membership, as pure functions: the peer handshake between daemons and the
// registration with a cluster secret (docs/protocol.md 4.3 and 4.21). Each proof is an
// HMAC-SHA256 over a fixed label and fixed-size or length-prefixed fields, so that no two
// messages of different meaning have the same bytes: a proof made for one step, one direction or
// one pair of servers is worth nothing in another. Nonces are chosen by the callers (from
// crypto.randomBytes), so the functions here read nothing but their arguments.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { PEER_AUTH } from './protocol';

/** Labels: one per kind of proof, versioned so that a later scheme cannot be confused with this one. */
export const PROOF_LABEL = {
  /** PEER_CHALLENGE: the acceptor (B) proves it holds K_B. */
  peerAcceptor: 'hyperdex peer acceptor v1',
  /** PEER_PROOF: the connector (A) proves it holds K_A. */
  peerConnector: 'hyperdex peer connector v1',
  /** REGISTER_CHALLENGE: the coordinator proves it knows the cluster secret. */
  registerCoordinator: 'hyperdex register coordinator v1',
  /** DAEMON_REGISTER's proof: the daemon proves it knows the cluster secret. */
  registerDaemon: 'hyperdex register daemon v1',
} as const;

function assertBytes(b: Buffer, n: number, what: string): void {
  if (b.length !== n) throw new Error(`${what}: ${b.length} bytes, expected ${n}`);
}

function u32(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`server id ${n} is not a u32`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** A string as u16 big-endian length, then its UTF-8 bytes. */
function str16(s: string, what: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length > 0xffff) throw new Error(`${what}: longer than 65535 bytes`);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

function hmac(key: Buffer, label: string, fields: readonly Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  h.update(label, 'latin1');
  h.update(Buffer.of(0));
  for (const f of fields) h.update(f);
  return h.digest();
}

/** The fields both peer proofs cover: who connects to whom, and both nonces. */
function peerFields(connectorId: number, acceptorId: number, connectorNonce: Buffer, acceptorNonce: Buffer): Buffer[] {
  assertBytes(connectorNonce, PEER_AUTH.nonceBytes, "connector's nonce");
  assertBytes(acceptorNonce, PEER_AUTH.nonceBytes, "acceptor's nonce");
  return [u32(connectorId), u32(acceptorId), connectorNonce, acceptorNonce];
}

/**
 * PEER_CHALLENGE's proof: HMAC(K_B, "hyperdex peer acceptor v1" 00 | A u32 | B u32 | nonceA | nonceB),
 * made by the acceptor B with its own key.
 */
export function peerAcceptorProof(acceptorKey: Buffer, connectorId: number, acceptorId: number, connectorNonce: Buffer, acceptorNonce: Buffer): Buffer {
  assertBytes(acceptorKey, PEER_AUTH.keyBytes, 'peer key');
  return hmac(acceptorKey, PROOF_LABEL.peerAcceptor, peerFields(connectorId, acceptorId, connectorNonce, acceptorNonce));
}

/**
 * PEER_PROOF's proof: HMAC(K_A, "hyperdex peer connector v1" 00 | A u32 | B u32 | nonceA | nonceB),
 * made by the connector A with its own key.
 */
export function peerConnectorProof(connectorKey: Buffer, connectorId: number, acceptorId: number, connectorNonce: Buffer, acceptorNonce: Buffer): Buffer {
  assertBytes(connectorKey, PEER_AUTH.keyBytes, 'peer key');
  return hmac(connectorKey, PROOF_LABEL.peerConnector, peerFields(connectorId, acceptorId, connectorNonce, acceptorNonce));
}

/** REGISTER_CHALLENGE's proof: HMAC(secret, "hyperdex register coordinator v1" 00 | nonceD | nonceC). */
export function registerCoordinatorProof(secret: Buffer, daemonNonce: Buffer, coordinatorNonce: Buffer): Buffer {
  assertBytes(daemonNonce, PEER_AUTH.nonceBytes, "daemon's nonce");
  assertBytes(coordinatorNonce, PEER_AUTH.nonceBytes, "coordinator's nonce");
  return hmac(secret, PROOF_LABEL.registerCoordinator, [daemonNonce, coordinatorNonce]);
}

/**
 * DAEMON_REGISTER's proof: HMAC(secret, "hyperdex register daemon v1" 00 | nonceD | nonceC |
 * token str16 | host str16 | port u16). It covers what the registration claims, so that nobody
 * can reuse it for another identity or address.
 */
export function registerDaemonProof(secret: Buffer, daemonNonce: Buffer, coordinatorNonce: Buffer, token: string, host: string, port: number): Buffer {
  assertBytes(daemonNonce, PEER_AUTH.nonceBytes, "daemon's nonce");
  assertBytes(coordinatorNonce, PEER_AUTH.nonceBytes, "coordinator's nonce");
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new Error(`port ${port} is not a u16`);
  const p = Buffer.alloc(2);
  p.writeUInt16BE(port);
  return hmac(secret, PROOF_LABEL.registerDaemon, [daemonNonce, coordinatorNonce, str16(token, 'token'), str16(host, 'host'), p]);
}

/** Whether a received proof is the expected one, in time that does not depend on where they differ. */
export function proofMatches(expected: Buffer, received: Buffer): boolean {
  return received.length === expected.length && timingSafeEqual(expected, received);
}
