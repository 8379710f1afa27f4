// Map operations on many keys at once, end to end through the TypeScript client against a real
// coordinator and daemon: HyperDex 0.4 had no limit on them; ours is LIMITS.microOpsPerRequestMax
// micro-operations per request (checks plus funcs, a MAP_ADD counting once per entry). Up to the
// limit works; one more is refused by the client with OVERFLOW before anything is sent, and by the
// daemon (for a program that sends it anyway) with BADREQUEST; either way nothing changes.

import test, { ExecutionContext } from 'ava';
import * as net from 'node:net';
import { Client } from '../src/client/client';
import { ClusterConfig } from '../src/common/config';
import { Datatype } from '../src/common/datatypes';
import { encodeFrame, Frame, FrameDecoder } from '../src/common/frame';
import * as m from '../src/common/messages';
import { CheckOp, FuncOp, LIMITS, MsgType, statusName } from '../src/common/protocol';
import { encodeValue } from '../src/common/values';
import { clientSpaceLayout } from './helpers/client-config';
import { SharedScope, startCluster } from './helpers/cluster';
import { statusOf } from './helpers/status';

const scope = new SharedScope();
let c: Client;
let daemonPort: number;

const SPACE = 'bigmaps';
const LIMIT = LIMITS.microOpsPerRequestMax;
const SIZES = [1000, LIMIT] as const;

test.before(async () => {
  // One request of LIMIT map entries keeps the daemon's event loop busy for a while; on a loaded
  // machine that came past the default failure timeout (2 s), and the coordinator failed the
  // daemon mid-test. Failure detection is tested elsewhere: here the timeout is long.
  const { coord, daemon } = await startCluster(scope, { failureTimeoutMs: 60_000 });
  daemonPort = daemon.port;
  c = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 60_000 });
  await c.addSpace(`space ${SPACE} key k attributes map(string, int64) msi, map(string, string) mss, map(int64, float) mif, int64 i`);
});

test.after.always(async () => {
  await c?.close();
  await scope.close();
});

/** Map keys k0000000 .. (fixed width, so that they sort as they are numbered). */
const keyOf = (i: number): string => `k${String(i).padStart(7, '0')}`;

/** A map of `n` string keys, the value of each made from its number. */
function entries<V>(n: number, value: (i: number) => V, from = 0): Map<string, V> {
  const out = new Map<string, V>();
  for (let i = from; i < from + n; i++) out.set(keyOf(i), value(i));
  return out;
}

async function mapOf(key: string, attr: string): Promise<Map<unknown, unknown>> {
  const o = await c.get(SPACE, key);
  if (!o) throw new Error(`no object under ${key}`);
  return o[attr] as Map<unknown, unknown>;
}

for (const n of SIZES) {
  test.serial(`map_add, map_atomic_add, map_atomic_mod, map_string_append and map_remove on ${n} keys in one call`, async (t) => {
    const key = `many-${n}`;
    t.true(await c.put(SPACE, key, { i: 1 }));
    t.true(await c.map_add(SPACE, key, { msi: entries(n, (i) => i) }), 'map_add');
    let msi = await mapOf(key, 'msi');
    t.is(msi.size, n);
    t.is(msi.get(keyOf(0)), 0);
    t.is(msi.get(keyOf(n - 1)), n - 1);

    t.true(await c.map_atomic_add(SPACE, key, { msi: entries(n, () => -5) }), 'map_atomic_add');
    t.true(await c.map_atomic_mod(SPACE, key, { msi: entries(n, () => 7) }), 'map_atomic_mod');
    msi = await mapOf(key, 'msi');
    t.is(msi.size, n);
    // (i - 5) mod 7, floored: 0 - 5 is 2, 1 - 5 is 3, n - 1 - 5 as Python would say.
    const floorMod = (a: number, b: number) => ((a % b) + b) % b;
    t.is(msi.get(keyOf(0)), 2);
    t.is(msi.get(keyOf(1)), 3);
    t.is(msi.get(keyOf(n - 1)), floorMod(n - 6, 7));

    t.true(await c.map_string_append(SPACE, key, { mss: entries(n, (i) => `v${i}`) }), 'map_string_append on missing keys');
    const mss = await mapOf(key, 'mss');
    t.is(mss.size, n);
    t.is(mss.get(keyOf(n - 1)), `v${n - 1}`);

    const intKeys = new Map<number, number>();
    for (let i = 0; i < n; i++) intKeys.set(i - n / 2, 0.5);
    t.true(await c.map_atomic_add(SPACE, key, { mif: intKeys }), 'map_atomic_add on an int-keyed map');
    t.is((await mapOf(key, 'mif')).size, n);

    t.true(await c.map_remove(SPACE, key, { msi: entries(n, () => 0) }), 'map_remove');
    t.is((await mapOf(key, 'msi')).size, 0);
    t.is((await c.get(SPACE, key))!.i, 1, 'the other attributes are untouched');
  });
}

test.serial('a call over the limit is refused by the client with OVERFLOW, before sending; nothing changes', async (t) => {
  const key = 'over';
  t.true(await c.put(SPACE, key, { i: 3 }));
  t.true(await c.map_add(SPACE, key, { msi: entries(10, (i) => i) }));
  const before = await c.get(SPACE, key);
  const over = LIMIT + 1;
  // OVERFLOW, not the daemon's BADREQUEST: the client refused it itself.
  const refused = async (what: string, call: () => Promise<boolean>) => {
    t.deepEqual(await statusOf(call), { status: 'OVERFLOW', attr: undefined }, what);
    t.deepEqual(await c.get(SPACE, key), before, `${what}: the object is unchanged`);
  };
  await refused('map_add', () => c.map_add(SPACE, key, { msi: entries(over, (i) => i) }));
  await refused('map_atomic_add', () => c.map_atomic_add(SPACE, key, { msi: entries(over, () => 1) }));
  await refused('map_atomic_div', () => c.map_atomic_div(SPACE, key, { msi: entries(over, () => 2) }));
  await refused('map_string_prepend', () => c.map_string_prepend(SPACE, key, { mss: entries(over, () => 'x') }));
  await refused('map_remove', () => c.map_remove(SPACE, key, { msi: entries(over, () => 0) }));
  // The limit is per request, whichever maps the entries are in.
  await refused('map_add on two maps', () => c.map_add(SPACE, key, { msi: entries(LIMIT, (i) => i), mss: entries(1, () => 'x') }));
  await refused('map_atomic_add on two maps', () =>
    c.map_atomic_add(SPACE, key, { msi: entries(LIMIT - 1, () => 1), mif: new Map([[1, 1], [2, 2]]) }),
  );
  t.true(await c.map_atomic_add(SPACE, key, { msi: entries(LIMIT - 1, () => 1), mif: new Map([[1, 1]]) }), 'exactly the limit over two maps');
});

// ---- the daemon's own check, for programs that send more anyway -------------------------------

function open(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends one frame and waits for one reply frame (or 20 s, or the connection closing). */
async function exchange(frame: Buffer): Promise<Frame | undefined> {
  const s = await open(daemonPort);
  try {
    return await new Promise<Frame | undefined>((resolve) => {
      const dec = new FrameDecoder();
      const timer = setTimeout(() => resolve(undefined), 20_000);
      s.on('data', (d: Buffer) => {
        const [f] = dec.push(d).frames;
        if (!f) return;
        clearTimeout(timer);
        resolve(f);
      });
      s.once('close', () => resolve(undefined));
      s.on('error', () => {});
      s.write(frame);
    });
  } finally {
    s.destroy();
  }
}

/** The status the daemon answers a REQ_ATOMIC with: from RESP_ATOMIC, or from ERROR. */
async function daemonStatus(t: ExecutionContext, req: Omit<m.AtomicRequest, 'configVersion' | 'spaceId'>): Promise<string> {
  const configVersion = (c as unknown as { config: ClusterConfig }).config.version;
  const spaceId = clientSpaceLayout(c, SPACE).id;
  const reply = await exchange(encodeFrame(MsgType.REQ_ATOMIC, 9n, m.encodeAtomic({ ...req, configVersion, spaceId })));
  if (!reply) {
    t.fail('no reply');
    return 'none';
  }
  const decoded = reply.type === MsgType.ERROR ? m.decodeError(reply.body) : m.decodeWriteResponse(reply.body);
  return statusName(decoded.status);
}

const MSI = Datatype.MAP_STRING_INT64;
const msiBytes = (n: number, from = 0) => encodeValue({ kind: 'map', key: 'string', value: 'int64' }, entries(n, () => 1, from));
const keyedAdd = (i: number): m.WireFunc => ({
  op: FuncOp.NUM_ADD,
  name: 'msi',
  datatype: Datatype.INT64,
  value: encodeValue({ kind: 'int64' }, 1),
  mapKey: { datatype: Datatype.STRING, value: Buffer.from(keyOf(i)) },
});
const keyedAdds = (n: number): m.WireFunc[] => Array.from({ length: n }, (_, i) => keyedAdd(i));
const checkI = (i: number): m.WireCheck => ({ op: CheckOp.EQUALS, name: 'i', datatype: Datatype.INT64, value: encodeValue({ kind: 'int64' }, i) });

test.serial('the daemon refuses more than the limit with BADREQUEST, and exactly the limit works; nothing changes when refused', async (t) => {
  const key = 'raw';
  t.true(await c.put(SPACE, key, { i: 5, msi: new Map([['a', 1]]) }));
  const before = await c.get(SPACE, key);
  const base = { key: Buffer.from(key), flags: 0 };
  const cases: [string, Omit<m.AtomicRequest, 'configVersion' | 'spaceId'>][] = [
    ['one MAP_ADD of LIMIT + 1 entries', { ...base, checks: [], funcs: [{ op: FuncOp.MAP_ADD, name: 'msi', datatype: MSI, value: msiBytes(LIMIT + 1) }] }],
    ['LIMIT + 1 funcs on map values', { ...base, checks: [], funcs: keyedAdds(LIMIT + 1) }],
    ['LIMIT funcs on map values and one check', { ...base, checks: [checkI(5)], funcs: keyedAdds(LIMIT) }],
    ['two MAP_ADDs of LIMIT / 2 entries and one check', {
      ...base,
      checks: [checkI(5)],
      funcs: [
        { op: FuncOp.MAP_ADD, name: 'msi', datatype: MSI, value: msiBytes(LIMIT / 2) },
        { op: FuncOp.MAP_ADD, name: 'mss', datatype: Datatype.MAP_STRING_STRING, value: encodeValue({ kind: 'map', key: 'string', value: 'string' }, entries(LIMIT / 2, () => 'x')) },
      ],
    }],
  ];
  for (const [what, req] of cases) {
    t.is(await daemonStatus(t, req), 'BADREQUEST', what);
    t.deepEqual(await c.get(SPACE, key), before, `${what}: the object is unchanged`);
  }
  t.is(await daemonStatus(t, { ...base, checks: [checkI(5)], funcs: [{ op: FuncOp.MAP_ADD, name: 'msi', datatype: MSI, value: msiBytes(LIMIT - 1, 1) }] }), 'SUCCESS', 'a MAP_ADD of LIMIT - 1 entries and one check');
  t.is((await mapOf(key, 'msi')).size, LIMIT, 'the entry that was there and LIMIT - 1 more');
  t.is(await daemonStatus(t, { ...base, checks: [], funcs: keyedAdds(LIMIT) }), 'SUCCESS', 'LIMIT funcs on map values');
  t.is((await mapOf(key, 'msi')).get(keyOf(1)), 2);
});
