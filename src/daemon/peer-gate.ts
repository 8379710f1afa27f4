// The peer handshake at the level of one connection (docs/protocol.md 4.21). A daemon's
// connections to other daemons must prove membership before anything a daemon alone may send
// (REPLICA_WRITE, REGION_RESET, REGION_HANDOFF) is accepted on them:
//
//   A -> B  PEER_HELLO      [A's server id, nonceA]
//   B -> A  PEER_CHALLENGE  [B's server id, nonceB, HMAC(K_B, acceptor label | A | B | nonceA | nonceB)]
//   A -> B  PEER_PROOF      [HMAC(K_A, connector label | A | B | nonceA | nonceB)]
//   B -> A  REPLICA_ACK     [SUCCESS, ""]            (or ERROR UNAUTHORIZED, and B closes)
//
// PeerGate is B's side, one per accepted connection; provePeer is A's side. Neither owns a
// socket, a clock or a random source: keys come from lookups the caller provides (which may wait,
// bounded, for the coordinator's PEER_KEYS), nonces from the caller.

import { Frame } from '../common/frame';
import * as m from '../common/messages';
import { peerAcceptorProof, peerConnectorProof, proofMatches } from '../common/peer-auth';
import { MsgType, msgTypeName, PEER_AUTH, Status } from '../common/protocol';

/** A daemon's own server id and peer key, once the coordinator has registered it. */
export interface PeerIdentity {
  readonly id: number;
  readonly key: Buffer;
}

/** What the acceptor answers: a frame to send, or an error (after which it may close). */
export type GateAnswer =
  | { readonly ok: true; readonly type: number; readonly body: unknown[] }
  | { readonly ok: false; readonly status: number; readonly message: string; readonly close: boolean };

type Phase =
  | { readonly kind: 'idle' }
  /** A PEER_HELLO is being answered. */
  | { readonly kind: 'hello' }
  | { readonly kind: 'challenged'; readonly peer: number; readonly self: number; readonly connectorNonce: Buffer; readonly acceptorNonce: Buffer }
  /** A PEER_PROOF is being checked. */
  | { readonly kind: 'checking' }
  | { readonly kind: 'proven'; readonly peer: number }
  | { readonly kind: 'failed' };

const refuse = (status: number, message: string, close = false): GateAnswer => ({ ok: false, status, message, close });

/** The acceptor's side of the handshake on one connection. */
export class PeerGate {
  private phase: Phase = { kind: 'idle' };

  /** The server this connection has proven to come from; undefined until it has. */
  get peer(): number | undefined {
    return this.phase.kind === 'proven' ? this.phase.peer : undefined;
  }

  /**
   * PEER_HELLO: answers with this daemon's id, a fresh nonce and its proof. `self` resolves to
   * this daemon's identity, waiting (bounded) while it is not registered yet.
   */
  async hello(h: m.PeerHello, self: () => Promise<PeerIdentity | undefined>, acceptorNonce: Buffer): Promise<GateAnswer> {
    if (this.phase.kind !== 'idle') return refuse(Status.BADREQUEST, `PEER_HELLO on a connection whose handshake is ${this.phase.kind === 'proven' ? 'done' : 'under way'}`);
    if (acceptorNonce.length !== PEER_AUTH.nonceBytes) throw new Error(`PeerGate.hello: a nonce has ${PEER_AUTH.nonceBytes} bytes`);
    this.phase = { kind: 'hello' };
    const me = await self();
    if (!me) {
      this.phase = { kind: 'idle' };
      return refuse(Status.UNAUTHORIZED, 'this daemon is not registered with the coordinator yet: it has no peer key to prove itself with; try again');
    }
    this.phase = { kind: 'challenged', peer: h.serverId, self: me.id, connectorNonce: h.nonce, acceptorNonce };
    return { ok: true, type: MsgType.PEER_CHALLENGE, body: [me.id, acceptorNonce, peerAcceptorProof(me.key, h.serverId, me.id, h.nonce, acceptorNonce)] };
  }

  /**
   * PEER_PROOF: checks the connector's proof against its key (`keyOf` waits, bounded, for a key
   * the coordinator has not sent yet). A wrong proof ends the connection: a proof is never
   * tried twice against one challenge.
   */
  async proof(p: { proof: Buffer }, keyOf: (serverId: number) => Promise<Buffer | undefined>): Promise<GateAnswer> {
    const ph = this.phase;
    if (ph.kind !== 'challenged') return refuse(Status.BADREQUEST, 'PEER_PROOF without a PEER_CHALLENGE before it on this connection: send PEER_HELLO first');
    this.phase = { kind: 'checking' };
    const key = await keyOf(ph.peer);
    if (!key) {
      this.phase = { kind: 'failed' };
      return refuse(Status.UNAUTHORIZED, `server ${ph.peer} is not a registered server: no peer key for it within ${PEER_AUTH.keyWaitMsMax} ms`, true);
    }
    if (!proofMatches(peerConnectorProof(key, ph.peer, ph.self, ph.connectorNonce, ph.acceptorNonce), p.proof)) {
      this.phase = { kind: 'failed' };
      return refuse(Status.UNAUTHORIZED, `wrong PEER_PROOF: this connection did not prove that it comes from server ${ph.peer}`, true);
    }
    this.phase = { kind: 'proven', peer: ph.peer };
    return { ok: true, type: MsgType.REPLICA_ACK, body: [Status.SUCCESS, ''] };
  }
}

/** Why a message needs a proven connection, for the ERROR that refuses it on one that is not. */
export function unprovenMessage(type: number): string {
  return `${msgTypeName(type)} is accepted only from a daemon that has proven its membership on this connection (PEER_HELLO, PEER_CHALLENGE, PEER_PROOF; docs/protocol.md 4.21)`;
}

/**
 * The connector's side: proves this daemon to the daemon `peerId` at the other end of a new
 * connection, and checks that it is that daemon. `request` sends a frame and resolves with its
 * reply (rejecting on an ERROR frame). Rejects when anything does not check out.
 */
export async function provePeer(
  request: (type: number, body: unknown[]) => Promise<Frame>,
  me: PeerIdentity,
  peerId: number,
  peerKey: (serverId: number) => Promise<Buffer | undefined>,
  connectorNonce: Buffer,
  where: string,
): Promise<void> {
  const answer = await request(MsgType.PEER_HELLO, [me.id, connectorNonce]);
  if (answer.type !== MsgType.PEER_CHALLENGE) throw new Error(`${where} answered PEER_HELLO with ${msgTypeName(answer.type)}`);
  const ch = m.decodePeerChallenge(answer.body);
  if (ch.serverId !== peerId) throw new Error(`${where} is server ${ch.serverId}, not server ${peerId}`);
  const key = await peerKey(peerId);
  if (!key) throw new Error(`no peer key for server ${peerId} within ${PEER_AUTH.keyWaitMsMax} ms: cannot check that ${where} is that server`);
  if (!proofMatches(peerAcceptorProof(key, me.id, peerId, connectorNonce, ch.nonce), ch.proof))
    throw new Error(`${where} failed to prove that it is server ${peerId} (wrong PEER_CHALLENGE proof)`);
  const ack = await request(MsgType.PEER_PROOF, [peerConnectorProof(me.key, me.id, peerId, connectorNonce, ch.nonce)]);
  if (ack.type !== MsgType.REPLICA_ACK) throw new Error(`${where} answered PEER_PROOF with ${msgTypeName(ack.type)}`);
  const { status, message } = m.decodeReplicaAck(ack.body);
  if (status !== Status.SUCCESS) throw new Error(`${where} refused this daemon's PEER_PROOF: ${message}`);
}
