// The pure parts of membership: the HMAC proofs (against answers computed once with Python's hmac
// module, an implementation independent of node:crypto's use here), that a proof made for one
// role, pair of servers or pair of nonces is worth nothing for another, and the peer handshake of
// PeerGate (the acceptor) and provePeer (the connector) driven against each other in memory.

import test from 'ava';
import { Frame } from '../src/common/frame';
import {
  peerAcceptorProof,
  peerConnectorProof,
  proofMatches,
  registerCoordinatorProof,
  registerDaemonProof,
} from '../src/common/peer-auth';
import { HyperClientError } from '../src/client/errors';
import { encodeBody } from '../src/common/frame';
import { decodePeerChallenge, decodePeerHello, decodePeerProof } from '../src/common/messages';
import { MsgType, Status } from '../src/common/protocol';
import { GateAnswer, PeerGate, provePeer } from '../src/daemon/peer-gate';

const K_A = Buffer.alloc(32, 0xa1);
const K_B = Buffer.alloc(32, 0xb2);
const NONCE_A = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));
const NONCE_B = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 0x41));
const A = 2;
const B = 3;
const SECRET = Buffer.from('correct horse battery staple');
const TOKEN = '0123456789abcdef0123456789abcdef';

// ---- known answers (python3: hmac.new(key, label + b'\0' + fields, hashlib.sha256)) ----------

test('peer proofs: known answers', (t) => {
  t.is(peerAcceptorProof(K_B, A, B, NONCE_A, NONCE_B).toString('hex'), 'c11c5e4c9c60ef62a72fcd58b61f4c409c63c6fcbe7db9dcefa786dbe17b0650');
  t.is(peerConnectorProof(K_A, A, B, NONCE_A, NONCE_B).toString('hex'), '1ab58638b2e734f8f40bd2b3cddb5db8cc494fb4b97afafc44d3fe3a7f55e902');
});

test('registration proofs: known answers', (t) => {
  t.is(registerCoordinatorProof(SECRET, NONCE_A, NONCE_B).toString('hex'), '6768f134ba971cd765c08efac3c2863c5f1a2448514cafd07195f30969bbf035');
  t.is(registerDaemonProof(SECRET, NONCE_A, NONCE_B, TOKEN, '127.0.0.1', 2012).toString('hex'), '0536d45d13dd12e1675e23ac2b62715f3cd1df10baceb481ccd0b1c49b679211');
});

// ---- a proof is bound to what it proves -------------------------------------------------------

test('a peer proof changes with the role, the key, either id and either nonce', (t) => {
  const base = peerAcceptorProof(K_B, A, B, NONCE_A, NONCE_B).toString('hex');
  const others = [
    peerConnectorProof(K_B, A, B, NONCE_A, NONCE_B), // the other role, same key
    peerAcceptorProof(K_A, A, B, NONCE_A, NONCE_B),
    peerAcceptorProof(K_B, B, A, NONCE_A, NONCE_B),
    peerAcceptorProof(K_B, A, 4, NONCE_A, NONCE_B),
    peerAcceptorProof(K_B, A, B, NONCE_B, NONCE_A),
    peerAcceptorProof(K_B, A, B, Buffer.alloc(32), NONCE_B),
  ].map((b) => b.toString('hex'));
  t.is(new Set([base, ...others]).size, others.length + 1);
});

test('a registration proof changes with the secret, the nonces, the token, the host and the port', (t) => {
  const base = registerDaemonProof(SECRET, NONCE_A, NONCE_B, TOKEN, '127.0.0.1', 2012).toString('hex');
  const others = [
    registerDaemonProof(Buffer.from('correct horse battery stapl3'), NONCE_A, NONCE_B, TOKEN, '127.0.0.1', 2012),
    registerDaemonProof(SECRET, NONCE_B, NONCE_A, TOKEN, '127.0.0.1', 2012),
    registerDaemonProof(SECRET, NONCE_A, NONCE_B, TOKEN.replace('0', '1'), '127.0.0.1', 2012),
    registerDaemonProof(SECRET, NONCE_A, NONCE_B, TOKEN, '127.0.0.2', 2012),
    registerDaemonProof(SECRET, NONCE_A, NONCE_B, TOKEN, '127.0.0.1', 2013),
    // Lengths are part of the input: moving a byte from the token to the host changes the proof.
    registerDaemonProof(SECRET, NONCE_A, NONCE_B, TOKEN + '1', '27.0.0.1', 2012),
    registerCoordinatorProof(SECRET, NONCE_A, NONCE_B),
  ].map((b) => b.toString('hex'));
  t.is(new Set([base, ...others]).size, others.length + 1);
});

test('proofMatches: equal bytes only, any length refused without throwing', (t) => {
  const p = peerAcceptorProof(K_B, A, B, NONCE_A, NONCE_B);
  t.true(proofMatches(p, Buffer.from(p)));
  const flipped = Buffer.from(p);
  flipped[31] ^= 1;
  t.false(proofMatches(p, flipped));
  t.false(proofMatches(p, p.subarray(0, 31)));
  t.false(proofMatches(p, Buffer.concat([p, Buffer.of(0)])));
  t.false(proofMatches(p, Buffer.alloc(0)));
});

test('proof functions refuse nonces and keys of the wrong size (programmer errors)', (t) => {
  t.throws(() => peerAcceptorProof(K_B, A, B, NONCE_A.subarray(1), NONCE_B), { message: /nonce/ });
  t.throws(() => peerConnectorProof(K_A.subarray(1), A, B, NONCE_A, NONCE_B), { message: /peer key/ });
  t.throws(() => peerAcceptorProof(K_B, -1, B, NONCE_A, NONCE_B), { message: /u32/ });
  t.throws(() => registerDaemonProof(SECRET, NONCE_A, NONCE_B, TOKEN, 'h', 65536), { message: /u16/ });
});

// ---- the handshake, PeerGate against provePeer, in memory -------------------------------------

const keys = new Map([
  [A, K_A],
  [B, K_B],
]);
const keyOf = async (id: number) => keys.get(id);

/** A connector's request function that hands each frame to the gate and returns its answer. */
function wire(gate: PeerGate, acceptorNonce = NONCE_B, self = { id: B, key: K_B }) {
  const frames: number[] = [];
  const request = async (type: number, body: unknown[]): Promise<Frame> => {
    frames.push(type);
    const bytes = encodeBody(body);
    let a: GateAnswer;
    if (type === MsgType.PEER_HELLO) a = await gate.hello(decodePeerHello(bytes), async () => self, acceptorNonce);
    else if (type === MsgType.PEER_PROOF) a = await gate.proof(decodePeerProof(bytes), keyOf);
    else throw new Error(`unexpected ${type}`);
    if (!a.ok) throw new HyperClientError(a.status, a.message);
    return { type: a.type, id: 1n, body: encodeBody(a.body) };
  };
  return { request, frames };
}

test('handshake: a member proves itself and the connection is proven for it', async (t) => {
  const gate = new PeerGate();
  t.is(gate.peer, undefined);
  const { request, frames } = wire(gate);
  await provePeer(request, { id: A, key: K_A }, B, keyOf, NONCE_A, 'server 3');
  t.deepEqual(frames, [MsgType.PEER_HELLO, MsgType.PEER_PROOF]);
  t.is(gate.peer, A);
  // Once proven, a second hello is refused and the connection stays proven.
  const again = await gate.hello({ serverId: 1, nonce: NONCE_A }, async () => ({ id: B, key: K_B }), NONCE_B);
  t.false(again.ok);
  t.is(gate.peer, A);
});

test('handshake: the acceptor proves itself with its own key over both nonces', async (t) => {
  const gate = new PeerGate();
  const a = await gate.hello({ serverId: A, nonce: NONCE_A }, async () => ({ id: B, key: K_B }), NONCE_B);
  if (!a.ok) return t.fail(a.message);
  t.is(a.type, MsgType.PEER_CHALLENGE);
  const ch = decodePeerChallenge(encodeBody(a.body));
  t.is(ch.serverId, B);
  t.deepEqual(ch.nonce, NONCE_B);
  t.is(ch.proof.toString('hex'), 'c11c5e4c9c60ef62a72fcd58b61f4c409c63c6fcbe7db9dcefa786dbe17b0650');
});

test('handshake: a wrong PEER_PROOF is refused with UNAUTHORIZED, closes, and proves nothing', async (t) => {
  const gate = new PeerGate();
  await gate.hello({ serverId: A, nonce: NONCE_A }, async () => ({ id: B, key: K_B }), NONCE_B);
  // Made with another key than A's: what a stranger who guesses can do.
  const wrong = peerConnectorProof(Buffer.alloc(32, 7), A, B, NONCE_A, NONCE_B);
  const a = await gate.proof({ proof: wrong }, keyOf);
  t.like(a, { ok: false, status: Status.UNAUTHORIZED, close: true });
  t.is(gate.peer, undefined);
  // The challenge is spent: the right proof now is refused too.
  const right = await gate.proof({ proof: peerConnectorProof(K_A, A, B, NONCE_A, NONCE_B) }, keyOf);
  t.false(right.ok);
  t.is(gate.peer, undefined);
});

test('handshake: a proof made for another acceptor nonce (a replay) is refused', async (t) => {
  const gate = new PeerGate();
  await gate.hello({ serverId: A, nonce: NONCE_A }, async () => ({ id: B, key: K_B }), Buffer.alloc(32, 9));
  const replayed = peerConnectorProof(K_A, A, B, NONCE_A, NONCE_B);
  t.like(await gate.proof({ proof: replayed }, keyOf), { ok: false, status: Status.UNAUTHORIZED });
  t.is(gate.peer, undefined);
});

test('handshake: a server the acceptor has no key for is refused', async (t) => {
  const gate = new PeerGate();
  await gate.hello({ serverId: 9, nonce: NONCE_A }, async () => ({ id: B, key: K_B }), NONCE_B);
  const a = await gate.proof({ proof: peerConnectorProof(Buffer.alloc(32, 9), 9, B, NONCE_A, NONCE_B) }, keyOf);
  t.like(a, { ok: false, status: Status.UNAUTHORIZED, close: true });
  if (!a.ok) t.regex(a.message, /server 9 is not a registered server/);
});

test('handshake: PEER_PROOF before PEER_HELLO is BADREQUEST; an unregistered acceptor says UNAUTHORIZED and may be asked again', async (t) => {
  const gate = new PeerGate();
  t.like(await gate.proof({ proof: Buffer.alloc(32) }, keyOf), { ok: false, status: Status.BADREQUEST });
  t.like(await gate.hello({ serverId: A, nonce: NONCE_A }, async () => undefined, NONCE_B), { ok: false, status: Status.UNAUTHORIZED });
  const { request } = wire(gate);
  await provePeer(request, { id: A, key: K_A }, B, keyOf, NONCE_A, 'server 3');
  t.is(gate.peer, A);
});

test('handshake: the connector refuses an acceptor that is another server or cannot prove its key', async (t) => {
  // The daemon at the address answers as server 4.
  const other = wire(new PeerGate(), NONCE_B, { id: 4, key: Buffer.alloc(32, 4) });
  await t.throwsAsync(provePeer(other.request, { id: A, key: K_A }, B, keyOf, NONCE_A, 'server 3'), { message: /is server 4, not server 3/ });
  t.deepEqual(other.frames, [MsgType.PEER_HELLO], 'no proof is sent to it');
  // It claims to be server 3 but does not hold K_B.
  const impostor = wire(new PeerGate(), NONCE_B, { id: B, key: Buffer.alloc(32, 5) });
  await t.throwsAsync(provePeer(impostor.request, { id: A, key: K_A }, B, keyOf, NONCE_A, 'server 3'), { message: /failed to prove that it is server 3/ });
  t.deepEqual(impostor.frames, [MsgType.PEER_HELLO], 'no proof is sent to it');
});
