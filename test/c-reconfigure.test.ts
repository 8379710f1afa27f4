// libhyperclient following the configuration, deterministically: a fake coordinator and two fake
// daemons in this process answer the C client (through hyperclient-json-bridge) as a cluster whose
// regions move would. Daemon A answers RECONFIGURE and the coordinator then publishes a
// configuration in which daemon B heads every region: the library must resend the same request
// to B under the new version, and the program sees only success. When nothing ever changes, the
// library gives up after its bounded resends with RECONFIGURE.
//
// The space's layout is a real coordinator's (started here with no daemon), so the fake
// configurations differ from real ones only in who heads the regions.

import test from 'ava';
import * as net from 'node:net';
import { Client } from '../src/client/client';
import { ClusterConfig, SpaceLayout } from '../src/common/config';
import { decodeBody, encodeBody, encodeFrame, frameOf } from '../src/common/frame';
import { MsgType, Status } from '../src/common/protocol';
import { runBridge } from './helpers/bridges';
import { cTimeoutMs } from './helpers/cbuild';
import { SharedScope, startCoordinator } from './helpers/cluster';
import { fakeServer as fakeServerOf } from './helpers/fake-cluster';

const scope = new SharedScope();
test.after.always(async () => {
  await scope.close();
});

const AVAILABLE = 1;

const fakeServer = (onFrame: Parameters<typeof fakeServerOf>[1]) => fakeServerOf(scope, onFrame);

/** The layout of a real space, with every region headed by `head`. */
function headedBy(space: SpaceLayout, head: number): SpaceLayout {
  return {
    ...space,
    subspaces: space.subspaces.map((ss) => ({ ...ss, regions: ss.regions.map((r) => ({ id: r.id, lower: r.lower, upper: r.upper, replicas: [head] })) })),
  };
}

async function realLayout(): Promise<SpaceLayout> {
  const coord = await startCoordinator(scope);
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  try {
    await client.addSpace('space moving key k attributes int n, string g subspace g create 4 partitions tolerate 0 failures');
    const config = (client as unknown as { config: ClusterConfig }).config;
    const space = config.spaces.find((s) => s.name === 'moving');
    if (!space) throw new Error('the space is not in the configuration');
    return space;
  } finally {
    await client.close();
  }
}

/**
 * A fake coordinator whose one configuration has server 1 heading every region of a real space;
 * addDaemon puts server 1 (a fake daemon's port) into it before a client asks.
 */
async function oneDaemonConfig(): Promise<{ coordinator: { port: number }; addDaemon: (port: number) => void }> {
  const space = await realLayout();
  const servers: ClusterConfig['servers'][number][] = [];
  const config: ClusterConfig = { version: 3, servers, spaces: [headedBy(space, 1)] };
  const coordinator = await fakeServer((f, send) => {
    if (f.type === MsgType.CONFIG_SUBSCRIBE) send(MsgType.CONFIG, f.id, [config]);
  });
  return { coordinator, addDaemon: (port) => servers.push({ id: 1, host: '127.0.0.1', port, state: AVAILABLE }) };
}

/** Runs the C bridge on `input` against the fake coordinator; resolves with its output lines. */
async function bridge(port: number, input: string, timeoutMs: number): Promise<{ code: number | string; lines: string[]; err: string }> {
  const r = await runBridge('c', port, input, cTimeoutMs(timeoutMs + 10_000), timeoutMs);
  return { code: r.code, lines: r.out.trim().split('\n'), err: r.err };
}

test('a put answered RECONFIGURE is resent to the new head under the new configuration', async (t) => {
  const space = await realLayout();
  let config: ClusterConfig = { version: 0, servers: [], spaces: [] };
  const subscribers = new Set<net.Socket>();
  const coordinator = await fakeServer((f, send, sock) => {
    if (f.type === MsgType.CONFIG_SUBSCRIBE) {
      subscribers.add(sock);
      send(MsgType.CONFIG, f.id, [config]);
    }
  });
  const publish = (head: number) => {
    config = { version: config.version + 1, servers: config.servers, spaces: [headedBy(space, head)] };
    for (const s of subscribers) s.write(encodeFrame(MsgType.CONFIG, 0n, [config]));
  };
  const seenByA: unknown[][] = [];
  const seenByB: unknown[][] = [];
  const b = await fakeServer((f, send) => {
    const body = decodeBody(f.body) as unknown[];
    seenByB.push([f.type, f.id, ...body]);
    if (f.type === MsgType.REQ_ATOMIC) send(MsgType.RESP_ATOMIC, f.id, [Status.SUCCESS, '', '']);
    if (f.type === MsgType.REQ_COUNT) {
      // the first count is refused, and a newer configuration (B still heading) published
      if (seenByB.filter((m) => m[0] === MsgType.REQ_COUNT).length === 1) {
        send(MsgType.RESP_COUNT, f.id, [Status.RECONFIGURE, '', '', 0]);
        publish(2);
      } else send(MsgType.RESP_COUNT, f.id, [Status.SUCCESS, '', '', 7]);
    }
  });
  const a = await fakeServer((f, send) => {
    const body = decodeBody(f.body) as unknown[];
    seenByA.push([f.type, f.id, ...body]);
    send(MsgType.RESP_ATOMIC, f.id, [Status.RECONFIGURE, '', '']);
    // the coordinator publishes the move only after A has refused
    publish(2);
  });
  const servers = [
    { id: 1, host: '127.0.0.1', port: a.port, state: AVAILABLE },
    { id: 2, host: '127.0.0.1', port: b.port, state: AVAILABLE },
  ];
  config = { version: 5, servers, spaces: [headedBy(space, 1)] };

  const { code, lines, err } = await bridge(
    coordinator.port,
    [
      '{"op":"put","space":"moving","key":"k1","attrs":{"n":1,"g":"x"}}',
      '{"op":"count","space":"moving","predicate":{}}',
    ].join('\n') + '\n',
    20_000,
  );
  t.is(code, 0, err);
  t.deepEqual(lines, ['{"ok":true}', '{"ok":7}']);
  t.is(seenByA.filter((m) => m[0] === MsgType.REQ_ATOMIC).length, 1);
  const atB = seenByB.filter((m) => m[0] === MsgType.REQ_ATOMIC);
  t.is(atB.length, 1, 'resent once, to B');
  const atA = seenByA.find((m) => m[0] === MsgType.REQ_ATOMIC)!;
  // same wire id, same request, the newer configuration's version
  t.is(atB[0][1], atA[1]);
  t.is(Number(atA[2]), 5);
  t.is(Number(atB[0][2]), 6);
  t.deepEqual(atB[0].slice(3), atA.slice(3));
  const counts = seenByB.filter((m) => m[0] === MsgType.REQ_COUNT);
  t.is(counts.length, 2, 'the count was asked again after RECONFIGURE');
  t.is(Number(counts[1][2]), Number(counts[0][2]) + 1, 'under the newer configuration');
  t.deepEqual(counts[1][6], counts[0][6], 'for the same regions');
});

test('a put that every configuration sends to a refusing daemon ends with RECONFIGURE, bounded', async (t) => {
  const { coordinator, addDaemon } = await oneDaemonConfig();
  let refused = 0;
  const a = await fakeServer((f, send) => {
    refused++;
    send(MsgType.RESP_ATOMIC, f.id, [Status.RECONFIGURE, '', '']);
  });
  addDaemon(a.port);
  const started = Date.now();
  const { code, lines, err } = await bridge(coordinator.port, '{"op":"put","space":"moving","key":"k1","attrs":{"n":1}}\n', 20_000);
  t.is(code, 0, err);
  t.deepEqual(lines, ['{"status":"RECONFIGURE"}']);
  t.is(refused, 5, 'five sends, then the library gives up');
  t.log(`gave up after ${Date.now() - started} ms`);
});

// The C client reads RESP_SEARCH_ITEMS with typed reads alone (no separate validating walk): each
// malformed shape must still fail the search with SERVERERROR, never deliver a bad object, never crash.
test('malformed RESP_SEARCH_ITEMS bodies fail the search; a well-formed one delivers its objects', async (t) => {
  const { coordinator, addDaemon } = await oneDaemonConfig();
  const int64 = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(v));
    return b;
  };
  const object = (key: string, n: number, g: string) => [Buffer.from(key), [['n', 8961, int64(n)], ['g', 8960, Buffer.from(g)]]];
  const good = encodeBody([[object('k1', 1, 'x'), object('k2', 2, 'y')]]);
  const bodies: Record<string, Buffer> = {
    good,
    trailing: Buffer.concat([good, Buffer.from([0xc0])]),
    truncated: good.subarray(0, good.length - 1),
    'two outer elements': encodeBody([[object('k1', 1, 'x')], 'extra']),
    'a tuple of two': encodeBody([[[Buffer.from('k1'), [['n', 8961]]]]]),
    'a key that is a string': encodeBody([[['k1', [['n', 8961, int64(1)]]]]]),
    'a huge object count': Buffer.from([0x91, 0xdd, 0xff, 0xff, 0xff, 0xff]),
    'a huge attribute count': Buffer.concat([Buffer.from([0x91, 0x91, 0x92, 0xc4, 0x02]), Buffer.from('k1'), Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])]),
  };
  let current = 'good';
  const daemon = await fakeServer((f, send, sock) => {
    if (f.type !== MsgType.REQ_SEARCH) return;
    sock.write(frameOf(MsgType.RESP_SEARCH_ITEMS, f.id, bodies[current]));
    send(MsgType.RESP_SEARCH_DONE, f.id, [Status.SUCCESS, '', '', 2]);
  });
  addDaemon(daemon.port);
  for (const name of Object.keys(bodies)) {
    current = name;
    const { code, lines, err } = await bridge(coordinator.port, '{"op":"search","space":"moving","predicate":{}}\n', 10_000);
    t.is(code, 0, `${name}: ${err}`);
    if (name === 'good') t.deepEqual(lines, ['{"ok":[{"g":"x","k":"k1","n":1},{"g":"y","k":"k2","n":2}]}'], name);
    else t.deepEqual(lines, ['{"status":"SERVERERROR"}'], name);
  }
});
