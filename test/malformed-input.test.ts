// Bad input over raw sockets: random bytes, truncated frames, a frame claiming 4 GiB, unknown
// message types, undecodable bodies, wrong datatypes, malformed values, duplicate attributes.
// After each, the daemon (and the coordinator) still answer a well-formed request, and the stored
// object is exactly what it was.

import test from 'ava';
import * as net from 'node:net';
import { Client } from '../src/client/client';
import { findSpace, reviveConfig } from '../src/common/config';
import { datatypeOf } from '../src/common/datatypes';
import { decodeBody, encodeFrame, Frame, FrameDecoder } from '../src/common/frame';
import { decodeError, decodeGetResponse, decodeWriteResponse } from '../src/common/messages';
import { FuncOp, MsgType, Status, statusName } from '../src/common/protocol';
import { encodeValue } from '../src/common/values';
import { SharedScope, startCluster } from './helpers/cluster';

const scope = new SharedScope();
let client: Client;
let daemonPort: number;
let coordPort: number;
let spaceId: number;
let configVersion: number;

const ORIGINAL = { s: 'precious', i: 42, ls: ['a', 'b'] };

test.before(async () => {
  const { coord, daemon } = await startCluster(scope);
  daemonPort = daemon.port;
  coordPort = coord.port;
  client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  await client.addSpace('space victim key k attributes string s, int64 i, list(string) ls');
  await client.put('victim', 'obj', ORIGINAL);
  // The raw requests below need the space's id; read it from a configuration as a client does.
  const raw = await rawConfig(coord.port);
  spaceId = findSpace(raw.config, 'victim')!.id;
  configVersion = raw.config.version;
});

test.after.always(async () => {
  await client?.close();
  await scope.close();
});

async function rawConfig(port: number) {
  const s = await open(port);
  const frames = await exchange(s, [encodeFrame(MsgType.CONFIG_SUBSCRIBE, 1n, [])], 1);
  s.destroy();
  return { config: reviveConfig((decodeBody(frames[0].body) as unknown[])[0]) };
}

function open(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Writes the chunks and collects reply frames until `count` arrived, the server closed the
 * connection, or 3 s passed.
 */
function exchange(s: net.Socket, chunks: Buffer[], count: number): Promise<Frame[]> {
  return new Promise((resolve) => {
    const dec = new FrameDecoder();
    const frames: Frame[] = [];
    const finish = () => {
      clearTimeout(timer);
      s.removeAllListeners('data');
      resolve(frames);
    };
    const timer = setTimeout(finish, 3000);
    s.on('data', (d: Buffer) => {
      frames.push(...dec.push(d).frames);
      if (frames.length >= count) finish();
    });
    s.once('close', finish);
    s.on('error', () => {});
    for (const c of chunks) s.write(c);
  });
}

function closedByServer(s: net.Socket, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) return resolve(true);
    const timer = setTimeout(() => resolve(false), timeoutMs);
    s.on('error', () => {});
    s.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    s.resume();
  });
}

async function stillServing(t: import('ava').ExecutionContext) {
  t.deepEqual(await client.get('victim', 'obj'), ORIGINAL, 'the stored object is unchanged and the daemon answers');
  t.deepEqual(await client.listSpaces(), ['victim'], 'the coordinator answers');
}

function atomic(attrs: [string, number, Buffer][], key = 'obj'): Buffer {
  return encodeFrame(MsgType.REQ_ATOMIC, 7n, [
    configVersion,
    spaceId,
    Buffer.from(key),
    0,
    [],
    attrs.map(([name, dt, value]) => [FuncOp.SET, name, dt, value]),
  ]);
}

/** A simple seeded generator, so that a failure replays. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

for (const target of ['daemon', 'coordinator'] as const) {
  test.serial(`random bytes to the ${target}`, async (t) => {
    const seed = 20261121;
    const rand = prng(seed);
    for (let round = 0; round < 20; round++) {
      const s = await open(target === 'daemon' ? daemonPort : coordPort);
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 4096) }, () => Math.floor(rand() * 256)));
      s.write(junk);
      s.end();
      await closedByServer(s);
      s.destroy();
    }
    t.log(`seed ${seed}`);
    await stillServing(t);
  });

  test.serial(`a frame claiming 4 GiB closes the connection to the ${target}`, async (t) => {
    const s = await open(target === 'daemon' ? daemonPort : coordPort);
    const head = Buffer.alloc(14);
    head.writeUInt32BE(0xffffffff, 0);
    head.writeUInt16BE(MsgType.REQ_GET, 4);
    s.write(head);
    s.write(Buffer.alloc(1024, 0x41));
    t.true(await closedByServer(s), 'the server closed the connection');
    await stillServing(t);
  });

  test.serial(`a size field below the minimum closes the connection to the ${target}`, async (t) => {
    const s = await open(target === 'daemon' ? daemonPort : coordPort);
    s.write(Buffer.from([0, 0, 0, 3, 1, 2, 3]));
    t.true(await closedByServer(s));
    await stillServing(t);
  });

  test.serial(`a truncated frame, then the client goes away (${target})`, async (t) => {
    const s = await open(target === 'daemon' ? daemonPort : coordPort);
    const whole = encodeFrame(MsgType.REQ_GET, 1n, [configVersion, spaceId, Buffer.from('obj')]);
    s.write(whole.subarray(0, whole.length - 3));
    await new Promise((r) => setTimeout(r, 50));
    s.destroy();
    await stillServing(t);
  });

  test.serial(`an unknown message type gets an error reply from the ${target}`, async (t) => {
    const s = await open(target === 'daemon' ? daemonPort : coordPort);
    const [reply] = await exchange(s, [encodeFrame(0x4242, 99n, [])], 1);
    t.is(reply.type, MsgType.ERROR);
    t.is(reply.id, 99n);
    const e = decodeError(reply.body);
    t.is(statusName(e.status), 'BADREQUEST');
    t.regex(e.message, /unknown message type/);
    // The same connection still works.
    const [ok] = await exchange(s, [encodeFrame(target === 'daemon' ? MsgType.REQ_GET : MsgType.SPACE_LIST, 100n, target === 'daemon' ? [configVersion, spaceId, Buffer.from('obj')] : [])], 1);
    t.is(ok.id, 100n);
    t.not(ok.type, MsgType.ERROR);
    s.destroy();
    await stillServing(t);
  });
}

test.serial('a body that is not msgpack, and one with the wrong fields, get BADREQUEST', async (t) => {
  const s = await open(daemonPort);
  const notMsgpack = encodeFrame(MsgType.REQ_ATOMIC, 5n, 0);
  // Replace the body (a single msgpack 0) with bytes that do not decode: 0xc1 is never valid.
  notMsgpack[notMsgpack.length - 1] = 0xc1;
  const wrongFields = encodeFrame(MsgType.REQ_ATOMIC, 6n, ['not', 'the', 'fields']);
  const keyNotBinary = encodeFrame(MsgType.REQ_GET, 8n, [configVersion, spaceId, 'a string, not bin']);
  const replies = await exchange(s, [notMsgpack, wrongFields, keyNotBinary], 3);
  t.deepEqual(
    replies.map((f) => [f.id, f.type, statusName(decodeError(f.body).status)]),
    [
      [5n, MsgType.ERROR, 'BADREQUEST'],
      [6n, MsgType.ERROR, 'BADREQUEST'],
      [8n, MsgType.ERROR, 'BADREQUEST'],
    ],
  );
  s.destroy();
  await stillServing(t);
});

test.serial('wrong datatypes, malformed values, unknown and duplicate attributes change nothing', async (t) => {
  const s = await open(daemonPort);
  const int3 = Buffer.from([1, 2, 3]);
  const badList = Buffer.from([9, 0, 0, 0, 0x61]); // claims 9 bytes, has 1
  const cases: [string, Buffer, string, string][] = [
    ['string sent as int64', atomic([['s', datatypeOf({ kind: 'int64' }), encodeValue({ kind: 'int64' }, 5)]]), 'WRONGTYPE', 's'],
    ['int64 of 3 bytes', atomic([['i', datatypeOf({ kind: 'int64' }), int3]]), 'WRONGTYPE', 'i'],
    ['list element past the end', atomic([['ls', datatypeOf({ kind: 'list', elem: 'string' }), badList]]), 'WRONGTYPE', 'ls'],
    ['unknown datatype number', atomic([['s', 12345, Buffer.from('x')]]), 'WRONGTYPE', 's'],
    ['unknown attribute', atomic([['nope', datatypeOf({ kind: 'string' }), Buffer.from('x')]]), 'UNKNOWNATTR', 'nope'],
    ['the key attribute', atomic([['k', datatypeOf({ kind: 'string' }), Buffer.from('x')]]), 'UNKNOWNATTR', 'k'],
    [
      'duplicate attribute',
      atomic([
        ['s', datatypeOf({ kind: 'string' }), Buffer.from('x')],
        ['s', datatypeOf({ kind: 'string' }), Buffer.from('y')],
      ]),
      'DUPEATTR',
      's',
    ],
  ];
  for (const [what, frame, status, attr] of cases) {
    const [reply] = await exchange(s, [frame], 1);
    t.is(reply?.type, MsgType.RESP_ATOMIC, what);
    const r = decodeWriteResponse(reply.body);
    t.is(statusName(r.status), status, what);
    t.is(r.attr, attr, what);
  }
  // An unknown space id is refused too.
  const unknownSpace = encodeFrame(MsgType.REQ_GET, 9n, [configVersion, 999999, Buffer.from('obj')]);
  const [us] = await exchange(s, [unknownSpace], 1);
  t.is(us.type, MsgType.RESP_GET);
  t.is(decodeGetResponse(us.body).status, Status.UNKNOWNSPACE);
  s.destroy();
  await stillServing(t);
});
