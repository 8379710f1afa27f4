// The three clients (TypeScript, C, and Python over C, each through its JSON bridge) when a daemon
// fails at an exact moment, played by the fakes of test/helpers/fake-cluster.ts:
//   - a write whose connection closes after the daemon read it ends with UNKNOWNOUTCOME, is sent
//     once (never again, never reported as a success or a plain failure); a read is sent again;
//   - a daemon that refuses connections: the write is tried again within its deadline, then ends
//     with TIMEOUT (the deadline) or CONNECTFAIL (the bounded tries); when the region moves to a
//     daemon that answers, the write goes through there, once;
//   - a daemon that answered and then closed the connection: the next write takes a new one
//     (the C client looks before it writes to a connection it has not read from since: test_idle_close).

import test, { ExecutionContext } from 'ava';
import { MsgType, msgTypeName } from '../src/common/protocol';
import { Bridge, BRIDGES, runBridge } from './helpers/bridges';
import { cTimeoutMs, findCBinary, runCProgram } from './helpers/cbuild';
import { DaemonScript, FakeCluster, Received, startFakeCluster, WRITE_TYPES } from './helpers/fake-cluster';

const line = (op: string, rest: string) => `{"op":"${op}","space":"unknown",${rest}}`;
const PUT = line('put', '"key":"k1","attrs":{"v":1}');

/** Runs `input` through every bridge, each against its own fake cluster (made by `start`), at once. */
async function throughEveryBridge(
  t: ExecutionContext,
  start: () => Promise<FakeCluster>,
  input: string[],
  timeoutMs: number,
  check: (b: Bridge, lines: string[], received: Received[], ms: number) => void,
  whileRunning: (cluster: FakeCluster) => Promise<void> = async () => {},
): Promise<void> {
  await Promise.all(
    BRIDGES.map(async (b) => {
      const cluster = await start();
      const started = performance.now();
      const [r] = await Promise.all([runBridge(b, cluster.coordinatorPort, input.map((l) => `${l}\n`).join(''), cTimeoutMs(timeoutMs * input.length + 20_000), timeoutMs), whileRunning(cluster)]);
      t.is(r.code, 0, `${b} bridge exit status; stderr:\n${r.err.slice(-2000)}`);
      check(b, r.out.trim().split('\n'), cluster.received, performance.now() - started);
    }),
  );
}

/** How many requests of each type a fake daemon read, as { REQ_ATOMIC: 2, ... }. */
function counts(received: readonly Received[], server = 1): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of received.filter((x) => x.server === server)) out[msgTypeName(r.type)] = (out[msgTypeName(r.type)] ?? 0) + 1;
  return out;
}

test('a write lost after it was sent ends with UNKNOWNOUTCOME and is sent once; a lost read is sent again', async (t) => {
  t.timeout(cTimeoutMs(60_000));
  // Every write: read, then the connection closed unanswered. Each read: the first one likewise, later ones answered.
  const script: DaemonScript = (type, nth) => (WRITE_TYPES.has(type) || nth === 1 ? 'close' : 'answer');
  const input = [
    PUT,
    line('atomic_add', '"key":"k1","attrs":{"v":1}'),
    line('del', '"key":"k1"'),
    line('group_del', '"predicate":{}'),
    line('get', '"key":"k1"'),
    line('count', '"predicate":{}'),
    line('search', '"predicate":{}'),
  ];
  await throughEveryBridge(t, () => startFakeCluster(t, [script]), input, 10_000, (b, lines, received) => {
    t.deepEqual(
      lines,
      [...new Array(4).fill('{"status":"UNKNOWNOUTCOME"}'), '{"ok":null}', '{"ok":0}', '{"ok":[]}'],
      `${b}: what each operation reported`,
    );
    t.deepEqual(
      counts(received),
      { REQ_ATOMIC: 2, REQ_DEL: 1, REQ_GROUP_DEL: 1, REQ_GET: 2, REQ_COUNT: 2, REQ_SEARCH: 2 },
      `${b}: each write sent once, each read twice (lost, then answered)`,
    );
  });
});

test('a write to a daemon that refuses connections is tried again until its deadline, then the tries give up', async (t) => {
  t.timeout(cTimeoutMs(60_000));
  // Within a short deadline: TIMEOUT. With time to spare: the bounded tries (5, each after waiting
  // up to 1 s for a newer configuration) end with CONNECTFAIL, after about 4 s.
  await throughEveryBridge(t, () => startFakeCluster(t, ['refuse']), [PUT], 1000, (b, lines, _received, ms) => {
    t.deepEqual(lines, ['{"status":"TIMEOUT"}'], `${b}, deadline 1 s`);
    t.true(ms >= 1000, `${b}: gave up after ${ms.toFixed(0)} ms`);
  });
  await throughEveryBridge(t, () => startFakeCluster(t, ['refuse']), [PUT], 15_000, (b, lines, _received, ms) => {
    t.deepEqual(lines, ['{"status":"CONNECTFAIL"}'], `${b}, deadline 15 s`);
    t.true(ms >= 3500 && ms < 15_000, `${b}: gave up after ${ms.toFixed(0)} ms`);
  });
});

test('a write to a daemon that refuses connections goes through, once, when its region moves to one that answers', async (t) => {
  t.timeout(cTimeoutMs(60_000));
  // The client subscribes, then sends the put to daemon 1, which refuses; 300 ms later the
  // coordinator moves the region to daemon 2.
  const moveLater = async (cluster: FakeCluster) => {
    await cluster.subscribed;
    await new Promise((resolve) => setTimeout(resolve, 300));
    cluster.moveTo(2);
  };
  const answer: DaemonScript = () => 'answer';
  await throughEveryBridge(
    t,
    () => startFakeCluster(t, ['refuse', answer]),
    [PUT],
    10_000,
    (b, lines, received, ms) => {
      t.deepEqual(lines, ['{"ok":true}'], b);
      t.deepEqual(counts(received, 2), { REQ_ATOMIC: 1 }, `${b}: sent once to daemon 2`);
      t.true(ms >= 300, `${b}: done after ${ms.toFixed(0)} ms, before the move`);
    },
    moveLater,
  );
});

test('a daemon that answered and then closed the connection: the next write takes a new connection', async (t) => {
  t.timeout(cTimeoutMs(60_000));
  // Between the puts, an add_space that the fake coordinator answers after SPACE_ADD_MS: time for
  // the daemon's close to reach the client, which must not put the next write on that connection
  // (where it would be lost unread, and reported UNKNOWNOUTCOME).
  const script: DaemonScript = (type) => (type === MsgType.REQ_ATOMIC ? 'answer and close' : 'answer');
  const pause = `{"op":"add_space","description":"space pause key k"}`;
  const input = [PUT, pause, line('put', '"key":"k2","attrs":{"v":2}'), pause, line('put', '"key":"k3","attrs":{"v":3}')];
  await throughEveryBridge(t, () => startFakeCluster(t, [script]), input, 10_000, (b, lines, received) => {
    t.deepEqual(lines, ['{"ok":true}', '{"ok":true}', '{"ok":true}', '{"ok":true}', '{"ok":true}'], b);
    t.deepEqual(counts(received), { REQ_ATOMIC: 3 }, b);
  });
});

test('test_idle_close: the C client sees a close that came while the program was away from loop, before it writes', async (t) => {
  t.timeout(cTimeoutMs(60_000));
  const bin = findCBinary('test_idle_close');
  if (!bin) return t.fail('test_idle_close not built: run `npm run build:native` first');
  const cluster = await startFakeCluster(t, [(type) => (type === MsgType.REQ_ATOMIC ? 'answer and close' : 'answer')]);
  const { code, out } = await runCProgram(bin, ['127.0.0.1', String(cluster.coordinatorPort)], cTimeoutMs(30_000));
  t.is(code, 0, out);
  t.regex(out, /^\d+ passed, 0 failed\s*$/m);
  t.deepEqual(counts(cluster.received), { REQ_ATOMIC: 3 }, 'each put read once, none lost on a closed connection');
});
