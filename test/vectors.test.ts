// The byte-level vectors of test/vectors/*.json against the TypeScript codecs: framing (frame.ts),
// message shapes (messages.ts, the daemon-to-daemon family included), value bytes (values.ts), keys (client.ts), coordinates, partitions
// and routing (hyperspace.ts, config.ts). The vectors are data written once, by hand or by an
// independent implementation; nothing here regenerates them from the code under test.

import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { encodeKey } from '../src/client/client';
import { keyRegion, regionOf, reviveConfig, SpaceLayout } from '../src/common/config';
import { AttrType, datatypeOf, ScalarType, typeOfDatatype } from '../src/common/datatypes';
import { decodeBody, encodeFrame, Frame, FrameDecoder, FrameError } from '../src/common/frame';
import {
  boxContains,
  coordinate,
  coordinateHalves,
  floatCoordinate,
  hashBytes64,
  hashBytes64Reference,
  int64Coordinate,
  partitionSubspace,
} from '../src/common/hyperspace';
import * as m from '../src/common/messages';
import { MsgType } from '../src/common/protocol';
import { SpaceSpec } from '../src/common/schema';
import { canonicalValueBytes, decodeValue, encodeValue } from '../src/common/values';

// ---- loading --------------------------------------------------------------------------------

function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

function load<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(projectRoot(), 'test', 'vectors', name), 'utf8')) as T;
}

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

// ---- frames ---------------------------------------------------------------------------------

interface FrameVectorFrame {
  type: number;
  typeName: string;
  id: string;
  bodyHex: string;
  body?: unknown;
  bodyError?: string;
  encoderOutput?: boolean;
  message?: 'valid' | 'invalid';
}
interface FrameVector {
  name: string;
  frameBytesMax: number;
  hex: string;
  frames: FrameVectorFrame[];
  error: FrameError | null;
  errorAfterBytes?: number;
  pendingBytes?: number;
}
const frames = load<{ vectors: FrameVector[] }>('frames.json');

interface Decoded {
  frames: { type: number; id: string; bodyHex: string }[];
  error: FrameError | null;
  /** Stream bytes pushed when the error first showed. */
  errorAt: number | null;
  pending: number;
}

function decodeStream(max: number, chunks: Buffer[]): Decoded {
  const d = new FrameDecoder(max);
  const out: Decoded = { frames: [], error: null, errorAt: null, pending: 0 };
  let pushed = 0;
  for (const c of chunks) {
    pushed += c.length;
    const r = d.push(c);
    for (const f of r.frames) out.frames.push(plainFrame(f));
    if (r.error && out.error === null) {
      out.error = { ...r.error };
      out.errorAt = pushed;
    }
  }
  out.pending = d.bufferedBytes;
  return out;
}

const plainFrame = (f: Frame) => ({ type: f.type, id: f.id.toString(), bodyHex: Buffer.from(f.body).toString('hex') });

/** Integers in any width compare as BigInt; bin as {hex}; maps as plain objects. */
function normalizeDecoded(v: unknown): unknown {
  if (typeof v === 'number' && Number.isInteger(v)) return { int: String(v) };
  if (typeof v === 'bigint') return { int: v.toString() };
  if (v instanceof Uint8Array) return { hex: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(normalizeDecoded);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeDecoded(x)]));
  return v;
}

function isTagged(v: unknown, tag: string): v is Record<string, string> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && tag in v;
}

function normalizeJson(v: unknown): unknown {
  if (typeof v === 'number' && Number.isInteger(v)) return { int: String(v) };
  if (isTagged(v, 'u64')) return { int: v.u64 };
  if (isTagged(v, 'hex')) return { hex: v.hex };
  if (Array.isArray(v)) return v.map(normalizeJson);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeJson(x)]));
  return v;
}

/** The program value the TypeScript side hands to encodeFrame for a JSON body. */
function bodyFromJson(v: unknown): unknown {
  if (isTagged(v, 'u64')) return BigInt(v.u64);
  if (isTagged(v, 'hex')) return hex(v.hex);
  if (Array.isArray(v)) return v.map(bodyFromJson);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, bodyFromJson(x)]));
  return v;
}

/** Each message type's decoder; REPLICA_ACK's shape depends on the request id (below). */
const messageDecoders: Record<number, (b: Buffer, id: bigint) => unknown> = {
  [MsgType.CONFIG_SUBSCRIBE]: m.decodeSubscribe,
  [MsgType.DAEMON_REGISTER]: m.decodeRegister,
  [MsgType.DAEMON_REGISTERED]: m.decodeRegistered,
  [MsgType.REGISTER_HELLO]: m.decodeRegisterHello,
  [MsgType.REGISTER_CHALLENGE]: m.decodeRegisterChallenge,
  [MsgType.PEER_KEYS]: m.decodePeerKeys,
  [MsgType.SPACE_ADD]: m.decodeSpaceAdd,
  [MsgType.SPACE_RM]: m.decodeSpaceRm,
  [MsgType.SPACE_LIST]: m.decodeSpaceList,
  [MsgType.COORD_RESP]: m.decodeCoordResp,
  [MsgType.REGION_MOVED]: m.decodeRegionMoved,
  [MsgType.SERVER_OFFLINE]: (b) => m.decodeServerRequest(b, 'SERVER_OFFLINE'),
  [MsgType.SERVER_ONLINE]: (b) => m.decodeServerRequest(b, 'SERVER_ONLINE'),
  [MsgType.SERVER_FORGET]: (b) => m.decodeServerRequest(b, 'SERVER_FORGET'),
  [MsgType.HEARTBEAT]: m.decodeHeartbeat,
  [MsgType.REQ_GET]: m.decodeGet,
  [MsgType.RESP_GET]: m.decodeGetResponse,
  [MsgType.REQ_ATOMIC]: m.decodeAtomic,
  [MsgType.RESP_ATOMIC]: m.decodeWriteResponse,
  [MsgType.REQ_DEL]: m.decodeDel,
  [MsgType.RESP_DEL]: m.decodeWriteResponse,
  [MsgType.REQ_SEARCH]: m.decodeSearch,
  [MsgType.RESP_SEARCH_ITEMS]: m.decodeSearchItems,
  [MsgType.RESP_SEARCH_DONE]: m.decodeCountResponse,
  [MsgType.REQ_COUNT]: (b) => m.decodePredicateRequest(b, 'REQ_COUNT'),
  [MsgType.RESP_COUNT]: m.decodeCountResponse,
  [MsgType.REQ_GROUP_DEL]: (b) => m.decodePredicateRequest(b, 'REQ_GROUP_DEL'),
  [MsgType.RESP_GROUP_DEL]: m.decodeCountResponse,
  [MsgType.REPLICA_WRITE]: m.decodePeerUpdate,
  // REPLICA_ACK between daemon cores is one-way (request id 0) and names the message it answers:
  // [incarnation, seq, status, message]. As the answer to PEER_PROOF it carries the proof's
  // request id and keeps the handshake's [status, message].
  [MsgType.REPLICA_ACK]: (b, id) => (id === 0n ? m.decodePeerAck(b) : m.decodeReplicaAck(b)),
  [MsgType.REGION_RESET]: (b) => m.decodePeerRegionMessage(b, 'REGION_RESET'),
  [MsgType.REGION_HANDOFF]: (b) => m.decodePeerRegionMessage(b, 'REGION_HANDOFF'),
  [MsgType.PEER_ERASE]: m.decodePeerErase,
  [MsgType.PEER_HELLO]: m.decodePeerHello,
  [MsgType.PEER_CHALLENGE]: m.decodePeerChallenge,
  [MsgType.PEER_PROOF]: m.decodePeerProof,
  [MsgType.ERROR]: m.decodeError,
};

test('frames.json has vectors of every kind the brief asks for', (t) => {
  const v = frames.vectors;
  t.true(v.length >= 40, `only ${v.length} frame vectors`);
  t.true(v.some((x) => x.frames.length >= 2 && x.error === null), 'two frames back to back');
  t.true(v.some((x) => x.frames.length === 0 && x.error === null && (x.pendingBytes ?? 0) > 0), 'a truncated frame');
  t.true(v.some((x) => x.error?.kind === 'too-small'), 'size below the minimum');
  t.true(v.some((x) => x.error?.kind === 'too-large' && x.error.size === 0xffffffff), '4 GiB size field');
  t.true(v.some((x) => x.error === null && x.hex.length / 2 === x.frameBytesMax), 'a frame of exactly the maximum');
  t.true(v.some((x) => x.error?.kind === 'too-large' && x.error.size + 4 === x.frameBytesMax + 1), 'one byte over');
  t.true(v.some((x) => x.frames.some((f) => f.bodyError !== undefined)), 'a malformed body');
  const types = new Set(v.flatMap((x) => x.frames.map((f) => f.type)));
  for (const [name, type] of Object.entries(MsgType)) t.true(types.has(type), `no vector of ${name}`);
  const all = v.flatMap((x) => x.frames);
  for (const name of [
    'REQ_SEARCH',
    'REQ_COUNT',
    'REQ_GROUP_DEL',
    'REGION_MOVED',
    'REPLICA_WRITE',
    'REPLICA_ACK',
    'REGION_RESET',
    'REGION_HANDOFF',
    'DAEMON_REGISTERED',
    'REGISTER_HELLO',
    'REGISTER_CHALLENGE',
    'PEER_KEYS',
    'PEER_HELLO',
    'PEER_CHALLENGE',
    'PEER_PROOF',
    'PEER_ERASE',
  ] as const) {
    t.true(all.some((f) => f.type === MsgType[name] && f.message === 'valid'), `no valid ${name}`);
    t.true(all.some((f) => f.type === MsgType[name] && f.message === 'invalid'), `no malformed ${name}`);
  }
  t.true(
    all.some((f) => f.type === MsgType.REPLICA_WRITE && f.message === 'valid' && Array.isArray(f.body) && f.body[8] === null),
    'a REPLICA_WRITE that deletes (values nil)',
  );
});

for (const vec of frames.vectors) {
  test(`frame vector: ${vec.name}`, (t) => {
    const bytes = hex(vec.hex);
    const expected = vec.frames.map((f) => ({ type: f.type, id: f.id, bodyHex: f.bodyHex }));
    const check = (got: Decoded, how: string) => {
      t.deepEqual(got.frames, expected, `${how}: frames`);
      t.deepEqual(got.error, vec.error, `${how}: error`);
      if (vec.error === null) t.is(got.pending, vec.pendingBytes ?? -1, `${how}: bytes left waiting`);
    };

    // Whole.
    const d = new FrameDecoder(vec.frameBytesMax);
    const whole = d.push(bytes);
    check({ frames: whole.frames.map(plainFrame), error: whole.error ? { ...whole.error } : null, errorAt: null, pending: d.bufferedBytes }, 'whole');
    if (vec.error) {
      // A failed decoder stays failed.
      const again = d.push(hex('0000000b01010000000000000001' + '90'));
      t.deepEqual(again.frames, [], 'after an error: no frames');
      t.deepEqual(again.error, vec.error, 'after an error: the same error');
    }

    // One byte per push: the error shows exactly when the bytes that prove it have arrived.
    const bytewise = decodeStream(vec.frameBytesMax, [...bytes].map((b) => Buffer.from([b])));
    check(bytewise, 'byte by byte');
    if (vec.error) t.is(bytewise.errorAt, vec.errorAfterBytes ?? -1, 'byte by byte: error reported after the expected byte');

    // Every split in two.
    for (let i = 0; i <= bytes.length; i++) {
      check(decodeStream(vec.frameBytesMax, [bytes.subarray(0, i), bytes.subarray(i)]), `split at ${i}`);
    }

    // Bodies, the encoder, the message shapes.
    let offset = 0;
    for (const f of vec.frames) {
      const body = hex(f.bodyHex);
      const frameBytes = bytes.subarray(offset, offset + 14 + body.length);
      offset += 14 + body.length;
      t.is(frameBytes.readUInt32BE(0), 10 + body.length, `${f.typeName}: size field`);
      if (f.bodyError !== undefined) {
        t.throws(() => decodeBody(body), undefined, `${f.typeName}: body must not decode (${f.bodyError})`);
        const decoder = messageDecoders[f.type];
        if (decoder) t.throws(() => decoder(body, BigInt(f.id)), { instanceOf: m.ProtocolError }, `${f.typeName}: message decoder must refuse`);
        continue;
      }
      t.deepEqual(normalizeDecoded(decodeBody(body)), normalizeJson(f.body), `${f.typeName}: decoded body`);
      if (f.encoderOutput) {
        t.is(encodeFrame(f.type, BigInt(f.id), bodyFromJson(f.body)).toString('hex'), frameBytes.toString('hex'), `${f.typeName}: encodeFrame`);
      }
      if (f.message !== undefined) {
        const decoder = messageDecoders[f.type];
        t.truthy(decoder, `no message decoder for ${f.typeName}`);
        if (f.message === 'valid') t.notThrows(() => decoder(body, BigInt(f.id)), `${f.typeName}: message decoder must accept`);
        else t.throws(() => decoder(body, BigInt(f.id)), { instanceOf: m.ProtocolError }, `${f.typeName}: message decoder must refuse`);
      }
      if (f.type === MsgType.CONFIG) {
        const config = reviveConfig((decodeBody(body) as unknown[])[0]);
        t.true(Number.isInteger(config.version), 'CONFIG: a configuration');
      }
    }
    if (vec.error === null) t.is(offset + (vec.pendingBytes ?? 0), bytes.length, 'frames and waiting bytes account for the whole stream');
  });
}

test('frames: the decoded CONFIG push gives region bounds as 64-bit integers', (t) => {
  const vec = frames.vectors.find((v) => v.frames.some((f) => f.type === MsgType.CONFIG && f.id === '0' && f.encoderOutput));
  t.truthy(vec, 'a CONFIG push vector');
  const f = vec!.frames[0];
  const config = reviveConfig((decodeBody(hex(f.bodyHex)) as unknown[])[0]);
  const regions = config.spaces[0].subspaces[0].regions;
  t.deepEqual(
    regions.map((r) => [r.lower[0], r.upper[0]]),
    [
      [0n, 2n ** 63n - 1n],
      [2n ** 63n, 2n ** 64n - 1n],
    ],
  );
  t.deepEqual(config.spaces[0].spec.attributes[1].type, { kind: 'map', key: 'string', value: 'int64' });
});

test('frames: a 6-field func decodes with its map key; funcs re-encode to the same bytes', (t) => {
  const atomics = frames.vectors.flatMap((v) => v.frames).filter((f) => f.type === MsgType.REQ_ATOMIC && f.message === 'valid');
  const decoded = atomics.map((f) => ({ f, r: m.decodeAtomic(hex(f.bodyHex)) }));
  const withKey = decoded.filter(({ r }) => r.funcs.some((fn) => fn.mapKey !== undefined));
  t.true(withKey.length > 0, 'a REQ_ATOMIC vector with a 6-field func');
  t.true(decoded.some(({ r }) => r.funcs.length > 0 && r.funcs.every((fn) => fn.mapKey === undefined)), 'a REQ_ATOMIC vector with 4-field funcs only');
  const add = withKey.find(({ r }) => r.funcs.length === 2);
  t.truthy(add, 'the map_atomic_add vector');
  t.deepEqual(
    add!.r.funcs.map((fn) => [fn.op, fn.name, fn.datatype, fn.value.toString('hex'), fn.mapKey?.datatype, fn.mapKey?.value.toString('hex')]),
    [
      [4, 'tags', 8961, '0100000000000000', 8960, '61'],
      [4, 'tags', 8961, 'feffffffffffffff', 8960, '62'],
    ],
  );
  // encodeAtomic writes the 6-field form exactly when a func has a map key.
  for (const { f, r } of decoded) {
    if (f.encoderOutput) t.is(encodeFrame(f.type, BigInt(f.id), m.encodeAtomic(r)).toString('hex').slice(28), f.bodyHex, `${f.typeName} ${f.id}: encodeAtomic`);
  }
});

/** The valid frames of one message type, each with its bytes. */
function validFrames(type: number): { f: FrameVectorFrame; body: Buffer }[] {
  return frames.vectors
    .flatMap((v) => v.frames)
    .filter((f) => f.type === type && f.message === 'valid')
    .map((f) => ({ f, body: hex(f.bodyHex) }));
}

/** The body bytes the TypeScript encoder writes for a message (the frame minus its header). */
const encodedBody = (type: number, id: string, body: unknown[]): string => encodeFrame(type, BigInt(id), body).toString('hex').slice(28);

test('frames: REQ_SEARCH, REQ_COUNT and REQ_GROUP_DEL carry the planned subspace and region ids', (t) => {
  const searches = validFrames(MsgType.REQ_SEARCH).map(({ f, body }) => ({ f, r: m.decodeSearch(body) }));
  const john = searches.find(({ f }) => f.id === '40');
  t.truthy(john, 'the search for first = "John"');
  t.is(john!.r.subspace, 1);
  t.deepEqual(john!.r.regions, [13, 16]);
  t.deepEqual([john!.r.sortBy, john!.r.limit, john!.r.descending], ['', 0, false]);
  const sorted = searches.find(({ f }) => f.id === '42');
  t.deepEqual([sorted!.r.sortBy, sorted!.r.limit, sorted!.r.descending, sorted!.r.subspace, sorted!.r.regions], ['last', 2, true, 1, [10, 16]]);
  t.true(searches.some(({ r }) => r.regions.length === 0), 'an empty list of region ids is valid');
  t.true(searches.some(({ r }) => r.regions.includes(70000)), 'region ids in wider forms');
  for (const { f, r } of searches) if (f.encoderOutput) t.is(encodedBody(f.type, f.id, m.encodeSearch(r)), f.bodyHex, `REQ_SEARCH ${f.id}: encodeSearch`);
  for (const [type, what] of [
    [MsgType.REQ_COUNT, 'REQ_COUNT'],
    [MsgType.REQ_GROUP_DEL, 'REQ_GROUP_DEL'],
  ] as const) {
    const reqs = validFrames(type).map(({ f, body }) => ({ f, r: m.decodePredicateRequest(body, what) }));
    t.true(reqs.length > 0, `a valid ${what}`);
    for (const { f, r } of reqs) if (f.encoderOutput) t.is(encodedBody(type, f.id, m.encodePredicateRequest(r)), f.bodyHex, `${what} ${f.id}: encodePredicateRequest`);
  }
  const count = validFrames(MsgType.REQ_COUNT).map(({ body }) => m.decodePredicateRequest(body, 'REQ_COUNT'));
  t.true(count.some((r) => r.subspace === 0 && r.regions.length === 1 && r.regions[0] === 5), 'the count of key "jsmith1": key region 5');
  const del = validFrames(MsgType.REQ_GROUP_DEL).map(({ body }) => m.decodePredicateRequest(body, 'REQ_GROUP_DEL'));
  t.true(del.some((r) => r.subspace === 1 && r.regions.join() === '10,13'), 'the group_del of last = "Smith": regions 10 and 13');
});

test('frames: REPLICA_WRITE decodes to its fields (values nil: a delete) and re-encodes to the same bytes', (t) => {
  const all = validFrames(MsgType.REPLICA_WRITE);
  t.true(all.every(({ f }) => f.id === '0'), 'REPLICA_WRITE is one-way: request id 0');
  const writes = all.map(({ f, body }) => ({ f, w: m.decodePeerUpdate(body) }));
  const bySeq = (seq: number) => writes.find(({ w }) => w.id.seq === seq)!.w;
  const put = bySeq(70);
  t.deepEqual(
    [put.id, put.configVersion, put.spaceId, put.subspace, put.regionId, put.key.toString(), put.version, put.values?.map((x) => x.toString('hex')), put.transfer],
    [{ incarnation: 3, seq: 70 }, 5, 1, 1, 14, 'jsmith1', 3, ['4a6f686e', '536d697468', '82b4540000000000'], false],
  );
  const del = bySeq(71);
  t.is(del.values, null, 'values nil is a delete');
  t.is(del.version, 4);
  t.true(bySeq(72).transfer, 'transfer 1');
  t.deepEqual(bySeq(73).values, [], 'values [] (wider integers, bin16 key)');
  t.deepEqual(bySeq(73).id, { incarnation: 3, seq: 73 }, 'incarnation and seq in wider forms');
  for (const { f, w } of writes) if (f.encoderOutput) t.is(encodedBody(f.type, f.id, m.encodePeerUpdate(w)), f.bodyHex, `REPLICA_WRITE ${w.id.seq}: encodePeerUpdate`);
});

test('frames: REGION_RESET, REGION_HANDOFF, REGION_MOVED and REPLICA_ACK decode to their fields', (t) => {
  for (const [type, what] of [
    [MsgType.REGION_RESET, 'REGION_RESET'],
    [MsgType.REGION_HANDOFF, 'REGION_HANDOFF'],
  ] as const) {
    const all = validFrames(type);
    t.true(all.length > 0, `a valid ${what}`);
    t.true(all.every(({ f }) => f.id === '0'), `${what} is one-way: request id 0`);
    const msgs = all.map(({ f, body }) => ({ f, r: m.decodePeerRegionMessage(body, what) }));
    for (const { r } of msgs) t.deepEqual([r.id.incarnation, r.regionId], [3, 14], what);
    for (const { f, r } of msgs) if (f.encoderOutput) t.is(encodedBody(type, f.id, m.encodePeerRegionMessage(r)), f.bodyHex, `${what} ${r.id.seq}: encodePeerRegionMessage`);
  }
  const reset = validFrames(MsgType.REGION_RESET).map(({ body }) => m.decodePeerRegionMessage(body, 'REGION_RESET'));
  t.true(reset.some((r) => r.id.seq === 80 && r.configVersion === 6), 'the reset of region 14 under configuration 6');
  const moved = validFrames(MsgType.REGION_MOVED);
  t.true(moved.length >= 2);
  for (const { f, body } of moved) {
    t.is(f.id, '0', 'REGION_MOVED is one-way: request id 0');
    t.deepEqual(m.decodeRegionMoved(body), { regionId: 13, to: 3, configVersion: 5 });
  }
  // Between cores: one-way, request id 0, naming the message answered.
  const acks = validFrames(MsgType.REPLICA_ACK)
    .filter(({ f }) => f.id === '0')
    .map(({ f, body }) => ({ f, a: m.decodePeerAck(body) }));
  t.deepEqual(
    acks.map(({ a }) => [a.id.incarnation, a.id.seq, a.status]).sort(),
    [
      [3, 70, 8448],
      [3, 72, 8517],
    ],
  );
  for (const { f, a } of acks) if (f.encoderOutput) t.is(encodedBody(f.type, f.id, m.encodePeerAck(a)), f.bodyHex, `REPLICA_ACK ${a.id.seq}: encodePeerAck`);
  // The handshake's answer to PEER_PROOF: the proof's request id, [status, message].
  const handshake = validFrames(MsgType.REPLICA_ACK).filter(({ f }) => f.id !== '0');
  t.true(handshake.length > 0, 'a REPLICA_ACK answering PEER_PROOF');
  for (const { body } of handshake) t.deepEqual(m.decodeReplicaAck(body), { status: 8448, message: '' });
});

test('frames: PEER_ERASE decodes to its fields and re-encodes to the same bytes', (t) => {
  const all = validFrames(MsgType.PEER_ERASE);
  t.true(all.every(({ f }) => f.id === '0'), 'PEER_ERASE is one-way: request id 0');
  const erases = all.map(({ f, body }) => ({ f, e: m.decodePeerErase(body) }));
  const smith = erases.find(({ e }) => e.id.seq === 100)!.e;
  t.deepEqual(
    [smith.id, smith.configVersion, smith.spaceId, smith.key.toString(), smith.checks.map((c) => [c.op, c.name, c.datatype, c.value.toString()])],
    [{ incarnation: 3, seq: 100 }, 5, 1, 'jsmith1', [[1, 'last', 8960, 'Smith']]],
  );
  t.deepEqual(erases.find(({ e }) => e.id.seq === 101)!.e.checks, [], 'no checks');
  for (const { f, e } of erases) if (f.encoderOutput) t.is(encodedBody(f.type, f.id, m.encodePeerErase(e)), f.bodyHex, `PEER_ERASE ${e.id.seq}: encodePeerErase`);
});

// ---- values ---------------------------------------------------------------------------------

interface ValueVector {
  type: string;
  datatype: number;
  value: unknown;
  hex: string;
  decoded?: unknown;
}
interface Values {
  valid: ValueVector[];
  canonicalized: { type: string; hex: string; canonicalHex: string }[];
  malformed: { type: string; hex: string; reason: string }[];
  keys: { keyType: string; key: unknown; hex: string }[];
}
const values = load<Values>('values.json');

function typeFromName(name: string): AttrType {
  const s = name.replace(/\s+/g, '');
  const scalar = (x: string): ScalarType => {
    if (x !== 'string' && x !== 'int64' && x !== 'float') throw new Error(`bad type ${name}`);
    return x;
  };
  let r: RegExpMatchArray | null;
  if ((r = s.match(/^(list|set)\((\w+)\)$/))) return { kind: r[1] as 'list' | 'set', elem: scalar(r[2]) };
  if ((r = s.match(/^map\((\w+),(\w+)\)$/))) return { kind: 'map', key: scalar(r[1]), value: scalar(r[2]) };
  return { kind: scalar(s) };
}

const SPECIAL_FLOATS: Record<string, number> = { '-0': -0, NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** A JSON scalar of the vectors as the program value given to encodeValue. */
function scalarFromJson(t: ScalarType, v: unknown): unknown {
  if (t === 'string') return isTagged(v, 'hex') ? hex(v.hex) : v;
  if (t === 'int64') return BigInt(v as string);
  return typeof v === 'string' ? SPECIAL_FLOATS[v] : v;
}

function valueFromJson(t: AttrType, v: unknown): unknown {
  switch (t.kind) {
    case 'string':
    case 'int64':
    case 'float':
      return scalarFromJson(t.kind, v);
    case 'list':
    case 'set':
      return (v as unknown[]).map((e) => scalarFromJson(t.elem, e));
    case 'map':
      return new Map((v as [unknown, unknown][]).map(([k, x]) => [scalarFromJson(t.key, k), scalarFromJson(t.value, x)]));
  }
}

/** Scalars in a comparable form: strings as their bytes, int64 as decimal, floats with -0/NaN/Infinity spelled out. */
function normScalar(t: ScalarType, v: unknown): unknown {
  if (t === 'string') {
    if (isTagged(v, 'hex')) return v.hex;
    if (typeof v === 'string') return Buffer.from(v, 'utf8').toString('hex');
    return Buffer.from(v as Uint8Array).toString('hex');
  }
  if (t === 'int64') return String(v);
  if (typeof v === 'string') return v;
  const n = v as number;
  if (Object.is(n, -0)) return '-0';
  if (Number.isNaN(n) || !Number.isFinite(n)) return String(n);
  return n;
}

function normValue(t: AttrType, v: unknown, fromJson: boolean): unknown {
  switch (t.kind) {
    case 'string':
    case 'int64':
    case 'float':
      return normScalar(t.kind, v);
    case 'list':
    case 'set': {
      const items = fromJson ? (v as unknown[]) : [...(v as Iterable<unknown>)];
      return items.map((e) => normScalar(t.elem, e));
    }
    case 'map': {
      const pairs = fromJson ? (v as [unknown, unknown][]) : [...(v as Map<unknown, unknown>).entries()];
      return pairs.map(([k, x]) => [normScalar(t.key, k), normScalar(t.value, x)]);
    }
  }
}

test('values.json covers every datatype, and malformed encodings', (t) => {
  const covered = new Set(values.valid.map((v) => v.datatype));
  for (const n of [8960, 8961, 8962, 8977, 8978, 8979, 8993, 8994, 8995, 9025, 9026, 9027, 9041, 9042, 9043, 9057, 9058, 9059])
    t.true(covered.has(n), `no value vector of datatype ${n}`);
  t.true(values.malformed.length >= 10);
});

for (const [i, vec] of values.valid.entries()) {
  test(`value vector ${i}: ${vec.type} ${JSON.stringify(vec.value)}`, (t) => {
    const type = typeFromName(vec.type);
    t.is(datatypeOf(type), vec.datatype, 'datatype number');
    t.deepEqual(typeOfDatatype(vec.datatype), type, 'type of the datatype number');
    t.is(encodeValue(type, valueFromJson(type, vec.value)).toString('hex'), vec.hex, 'encodeValue');
    const bytes = hex(vec.hex);
    t.is(canonicalValueBytes(type, bytes)?.toString('hex'), vec.hex, 'canonical bytes are a fixed point');
    t.deepEqual(normValue(type, decodeValue(type, bytes), false), normValue(type, vec.decoded ?? vec.value, true), 'decodeValue');
    t.deepEqual(normValue(type, decodeValue(type, bytes, 'buffer'), false), normValue(type, vec.decoded ?? vec.value, true), 'decodeValue (buffers)');
  });
}

test('value vectors: non-canonical bytes are accepted and rewritten', (t) => {
  for (const vec of values.canonicalized) {
    const type = typeFromName(vec.type);
    t.is(canonicalValueBytes(type, hex(vec.hex))?.toString('hex'), vec.canonicalHex, `${vec.type} ${vec.hex}`);
    t.is(canonicalValueBytes(type, hex(vec.canonicalHex))?.toString('hex'), vec.canonicalHex, `${vec.type} ${vec.canonicalHex} is canonical`);
  }
});

test('value vectors: malformed bytes are refused', (t) => {
  for (const vec of values.malformed) {
    t.is(canonicalValueBytes(typeFromName(vec.type), hex(vec.hex)), undefined, `${vec.type} ${vec.hex}: ${vec.reason}`);
  }
});

test('value vectors: keys', (t) => {
  for (const vec of values.keys) {
    const spec: SpaceSpec = {
      name: 's',
      key: { name: 'k', type: typeFromName(vec.keyType) },
      attributes: [],
      keySubspace: { partitions: 1, replicas: 1 },
      subspaces: [],
    };
    const inputs = isTagged(vec.key, 'int') ? [Number(vec.key.int), BigInt(vec.key.int)] : [vec.key as string | number];
    for (const k of inputs) t.is(encodeKey(spec, k).toString('hex'), vec.hex, `${vec.keyType} key ${String(k)} (${typeof k})`);
  }
});

// ---- coordinates ----------------------------------------------------------------------------

interface Coordinates {
  hash: { name: string; hex?: string; utf8?: string; pattern?: { mod256: number }; fnv1a64: string; coordinate: string }[];
  int64: { value: string; hex: string; coordinate: string }[];
  float: { value: string; hex: string; coordinate: string }[];
  typed: { type: string; hex: string; coordinate: string }[];
  partitions: { dims: number; count: number; boxes: { lower: string[]; upper: string[] }[] }[];
  routing: { keyType: string; keyHex?: string; keyPattern?: { mod256: number }; coordinate: string; region: number }[];
}
const coords = load<Coordinates>('coordinates.json');

const MASK64 = (1n << 64n) - 1n;

/** An independent FNV-1a 64, written from the published definition. */
function fnv1a64(bytes: Uint8Array): bigint {
  let h = 14695981039346656037n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 1099511628211n) % 18446744073709551616n;
  return h;
}

/** MurmurHash3's 64-bit finalizer, independently. */
function finalize(k: bigint): bigint {
  k = (k ^ (k >> 33n)) * 0xff51afd7ed558ccdn % (MASK64 + 1n);
  k = (k ^ (k >> 33n)) * 0xc4ceb9fe1a85ec53n % (MASK64 + 1n);
  return k ^ (k >> 33n);
}

const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i % 256));

function hashInput(v: { hex?: string; utf8?: string; pattern?: { mod256: number } }): Buffer {
  if (v.pattern) return pattern(v.pattern.mod256);
  if (v.utf8 !== undefined) return Buffer.from(v.utf8, 'utf8');
  return hex(v.hex!);
}

test('coordinate vectors: hashes', (t) => {
  t.true(coords.hash.some((h) => h.hex === ''), 'hash of the empty string');
  t.true(coords.hash.some((h) => h.pattern?.mod256 === 1000), 'hash of 1000 bytes');
  for (const h of coords.hash) {
    const bytes = hashInput(h);
    const want = BigInt(h.coordinate);
    t.is(fnv1a64(bytes), BigInt(h.fnv1a64), `${h.name}: FNV-1a 64 (independent)`);
    t.is(finalize(fnv1a64(bytes)), want, `${h.name}: independent hash`);
    t.is(hashBytes64(bytes), want, `${h.name}: hashBytes64`);
    t.is(hashBytes64Reference(bytes), want, `${h.name}: hashBytes64Reference`);
    t.is(coordinate({ kind: 'string' }, bytes), want, `${h.name}: coordinate(string)`);
  }
});

test('coordinate vectors: int64', (t) => {
  for (const v of coords.int64) {
    const want = BigInt(v.coordinate);
    t.is(int64Coordinate(BigInt(v.value)), want, `int64 ${v.value}`);
    t.is(coordinate({ kind: 'int64' }, hex(v.hex)), want, `int64 ${v.value} from bytes`);
    t.is((hex(v.hex).readBigUInt64LE(0) ^ (1n << 63n)) & MASK64, want, `int64 ${v.value}: sign flip (independent)`);
  }
});

test('coordinate vectors: float', (t) => {
  for (const v of coords.float) {
    const bytes = hex(v.hex);
    const want = BigInt(v.coordinate);
    t.is(coordinate({ kind: 'float' }, bytes), want, `float ${v.value}`);
    t.is(floatCoordinate(bytes.readDoubleLE(0)), want, `floatCoordinate(${v.value})`);
    let bits = bytes.readBigUInt64LE(0);
    if (bits === 1n << 63n) bits = 0n;
    t.is(bits >> 63n ? ~bits & MASK64 : bits | (1n << 63n), want, `float ${v.value}: bit map (independent)`);
  }
});

test('coordinate vectors: typed values', (t) => {
  for (const v of coords.typed) t.is(coordinate(typeFromName(v.type), hex(v.hex)), BigInt(v.coordinate), `${v.type} ${v.hex}`);
});

test('coordinate vectors: partitions', (t) => {
  for (const p of coords.partitions) {
    const boxes = partitionSubspace(p.dims, p.count).map((b) => ({ lower: b.lower.map(String), upper: b.upper.map(String) }));
    t.deepEqual(boxes, p.boxes, `partitionSubspace(${p.dims}, ${p.count})`);
  }
});

test('coordinate vectors: routing a key to its region', (t) => {
  const boxes = coords.partitions.find((p) => p.dims === 1 && p.count === 4)!.boxes;
  for (const r of coords.routing) {
    const key = r.keyPattern ? pattern(r.keyPattern.mod256) : hex(r.keyHex!);
    const type = typeFromName(r.keyType);
    t.is(coordinate(type, key), BigInt(r.coordinate), `${r.keyType} key ${r.keyHex ?? 'pattern'}: coordinate`);
    const space: SpaceLayout = {
      id: 1,
      name: 's',
      spec: { name: 's', key: { name: 'k', type }, attributes: [], keySubspace: { partitions: 4, replicas: 1 }, subspaces: [] },
      subspaces: [{ attributes: ['k'], regions: boxes.map((b, i) => ({ id: i, lower: b.lower.map(BigInt), upper: b.upper.map(BigInt), replicas: [1] })) }],
    };
    t.is(keyRegion(space, key).id, r.region, `${r.keyType} key ${r.keyHex ?? 'pattern'}: region`);
  }
});

// ---- property: the fast hash equals the reference ------------------------------------------

/** mulberry32: a small seeded PRNG, so that a failure replays with the seed it prints. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('property: hashBytes64 equals hashBytes64Reference on 2000 random byte strings', (t) => {
  const seed = process.env.HYPERDEX_VECTOR_SEED ? Number(process.env.HYPERDEX_VECTOR_SEED) : Math.floor(Math.random() * 2 ** 32);
  t.log(`seed ${seed} (replay with HYPERDEX_VECTOR_SEED=${seed})`);
  const rand = prng(seed);
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.alloc(Math.floor(rand() * 301));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
    const fast = hashBytes64(bytes);
    const ref = hashBytes64Reference(bytes);
    if (fast !== ref || (i % 10 === 0 && ref !== finalize(fnv1a64(bytes)))) {
      t.fail(`seed ${seed}, case ${i}: ${bytes.toString('hex')}: fast ${fast}, reference ${ref}, independent ${finalize(fnv1a64(bytes))}`);
      return;
    }
  }
  t.pass();
});

test('property: keyRegion and regionOf of a one-axis subspace (32-bit halves, binary search) find the region whose box holds the BigInt coordinate', (t) => {
  const seed = process.env.HYPERDEX_VECTOR_SEED ? Number(process.env.HYPERDEX_VECTOR_SEED) : Math.floor(Math.random() * 2 ** 32);
  t.log(`seed ${seed} (replay with HYPERDEX_VECTOR_SEED=${seed})`);
  const rand = prng(seed);
  const halves = new Uint32Array(2);
  // Counts that are not powers of two leave partitionSubspace's boxes out of order.
  for (const partitions of [1, 2, 3, 5, 8, 13, 64, 100]) {
    const regions = partitionSubspace(1, partitions).map((b, i) => ({ id: i + 1, lower: b.lower, upper: b.upper, replicas: [1] }));
    for (const type of [{ kind: 'string' }, { kind: 'int64' }, { kind: 'float' }] as AttrType[]) {
      // The same type for the key and for the one attribute of a secondary subspace, with the
      // same regions (ids apart): both lookups must agree with the BigInt boxes.
      const secondary = regions.map((r) => ({ ...r, id: r.id + 1000 }));
      const space = {
        id: 1,
        name: 's',
        spec: { name: 's', key: { name: 'k', type }, attributes: [{ name: 'a', type }], keySubspace: { partitions, replicas: 1 }, subspaces: [] },
        subspaces: [
          { attributes: ['k'], regions },
          { attributes: ['a'], regions: secondary },
        ],
      } as unknown as SpaceLayout;
      for (let i = 0; i < 300; i++) {
        let key: Buffer;
        if (type.kind === 'string') {
          key = Buffer.alloc(Math.floor(rand() * 20));
          for (let j = 0; j < key.length; j++) key[j] = Math.floor(rand() * 256);
        } else {
          key = Buffer.alloc(8);
          // Edges of the axis as well as random bits.
          if (i < 4) key.writeBigUInt64LE([0n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n][i]);
          else for (let j = 0; j < 8; j++) key[j] = Math.floor(rand() * 256);
          if (type.kind === 'float' && Number.isNaN(key.readDoubleLE(0))) key.writeDoubleLE(rand() * 1e6 - 5e5);
        }
        const c = coordinate(type, key);
        coordinateHalves(type, key, halves);
        const want = regions.find((r) => boxContains(r, [c]));
        const got = keyRegion(space, key);
        const wantSecondary = secondary.find((r) => boxContains(r, [c]));
        const gotSecondary = regionOf(space, 1, Buffer.from('x'), [key]);
        if ((BigInt(halves[0]) << 32n) + BigInt(halves[1]) !== c || got !== want || gotSecondary !== wantSecondary) {
          t.fail(`seed ${seed}: ${type.kind} value ${key.toString('hex')} in ${partitions} partitions: coordinate ${c}, halves ${halves[0]}:${halves[1]}, key region ${got.id} (want ${want?.id}), secondary region ${gotSecondary.id} (want ${wantSecondary?.id})`);
          return;
        }
      }
    }
  }
  t.pass();
});
