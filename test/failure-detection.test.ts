// The coordinator's failure detection on real processes: a coordinator with a short failure
// timeout and two daemons. A daemon stopped with SIGSTOP (its connections stay open) is marked
// failed within the timeout and a bound; clients then get a clear error for its regions at once,
// not after a timeout; SIGCONT brings it back. A daemon killed with SIGKILL is failed the same way
// and comes back when restarted on its data directory; one restarted within the timeout is never
// failed. Every process is stopped by PID, a stopped one continued first.

import test, { ExecutionContext } from 'ava';
import { Client, HyperClientError } from '../src/client/client';
import { ClusterConfig, findSpace, keyRegion } from '../src/common/config';
import { ServerState, Status } from '../src/common/protocol';
import { CoordinatorSession } from '../src/cli/coordinator-session';
import { CoordinatorProc, DaemonProc, runCommand, startCoordinator, startDaemon } from './helpers/cluster';
import { waitForClientConfig } from './helpers/client-config';

const KV = 'space kv key k attributes int n subspace n create 4 partitions tolerate 0 failures';
const KEYS = Array.from({ length: 16 }, (_, i) => `k${i}`);
const TIMEOUT_MS = 500;
/** How late past the timeout the coordinator may mark a silent daemon on a busy 2-core machine. */
const BOUND_MS = 2500;

const stateOf = (config: ClusterConfig, id: number) => config.servers.find((s) => s.id === id)?.state;

/** A coordinator with `failureTimeoutMs`, two daemons, the space kv and its keys. */
async function cluster(t: ExecutionContext, failureTimeoutMs: number) {
  const coord = await startCoordinator(t, { failureTimeoutMs, logging: 'info' });
  const a = await startDaemon(t, coord, { logging: 'info' });
  const b = await startDaemon(t, coord, { logging: 'info' });
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  t.teardown(() => client.close());
  await client.addSpace(KV);
  for (const [i, k] of KEYS.entries()) await client.put('kv', k, { n: i });
  const session = await CoordinatorSession.open('127.0.0.1', coord.port);
  t.teardown(() => session.close());
  const keyOn = (d: DaemonProc) => {
    const found = KEYS.find((k) => keyRegion(findSpace(session.config, 'kv')!, Buffer.from(k)).replicas[0] === d.serverId);
    if (!found) throw new Error(`no key on daemon ${d.serverId}`);
    return found;
  };
  return { coord, a, b, client, session, keyOn };
}

/** Waits (bounded) until the coordinator's configuration lists `id` in `state`; the ms it took. */
async function untilState(session: CoordinatorSession, id: number, state: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  if (!(await session.waitFor((config) => stateOf(config, id) === state, timeoutMs))) throw new Error(`server ${id} not in state ${state} within ${timeoutMs} ms`);
  return performance.now() - started;
}

/** The coordinator's log lines (JSON) of one event. */
function logged(coord: CoordinatorProc, event: string): Record<string, unknown>[] {
  return coord
    .errorOutput()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.event === event);
}

test('SIGSTOP: the daemon is failed within the timeout and a bound, its keys fail at once with a clear error; SIGCONT brings it back', async (t) => {
  const { coord, a, b, client, session, keyOn } = await cluster(t, TIMEOUT_MS);
  const onA = keyOn(a);
  const onB = keyOn(b);

  process.kill(b.pid, 'SIGSTOP');
  const stoppedAt = performance.now();
  t.teardown(() => {
    if (b.child.exitCode === null && b.child.signalCode === null) process.kill(b.pid, 'SIGCONT');
  });
  const ms = await untilState(session, b.serverId, ServerState.FAILED, TIMEOUT_MS + BOUND_MS);
  t.log(`failed ${ms.toFixed(0)} ms after SIGSTOP (timeout ${TIMEOUT_MS} ms)`);
  t.true(ms > TIMEOUT_MS / 2, `failed only ${ms.toFixed(0)} ms after SIGSTOP: it was heard from within a heartbeat before`);
  t.is(stateOf(session.config, a.serverId), ServerState.AVAILABLE);

  // As the operator sees it.
  const list = await runCommand('hyperdex', ['server-list', '--json', '-p', String(coord.port)]);
  t.is(list.status, 0, list.stderr);
  t.deepEqual(
    (JSON.parse(list.stdout) as { servers: { id: number; state: string }[] }).servers.map((s) => [s.id, s.state]),
    [
      [a.serverId, 'available'],
      [b.serverId, 'failed'],
    ],
  );

  // A client: a clear error at once for the failed daemon's keys, the others served.
  await waitForClientConfig(client, (config) => stateOf(config, b.serverId) === ServerState.FAILED, 5000);
  const started = performance.now();
  const e = await t.throwsAsync(client.get('kv', onB), { instanceOf: HyperClientError });
  const took = performance.now() - started;
  t.is(e?.status, Status.RECONFIGURE);
  t.regex(e!.message, new RegExp(`^RECONFIGURE: no available daemon holds region \\d+ of space kv: its head, server ${b.serverId} at 127\\.0\\.0\\.1:${b.port}, has failed`));
  t.true(took < 500, `the error took ${took.toFixed(0)} ms`);
  t.deepEqual(await client.get('kv', onA), { n: KEYS.indexOf(onA) });

  // It wakes: it finds its coordinator connection closed, registers again and is available.
  process.kill(b.pid, 'SIGCONT');
  await untilState(session, b.serverId, ServerState.AVAILABLE, 10_000);
  await waitForClientConfig(client, (config) => stateOf(config, b.serverId) === ServerState.AVAILABLE, 5000);
  t.deepEqual(await client.get('kv', onB), { n: KEYS.indexOf(onB) }, 'nothing was lost');
  t.true(performance.now() - stoppedAt < 20_000);

  const failed = logged(coord, 'server-failed');
  t.is(failed.length, 1);
  t.like(failed[0], { level: 'info', server: b.serverId, timeoutMs: TIMEOUT_MS });
  t.true((failed[0].silentMs as number) > TIMEOUT_MS);
  t.like(logged(coord, 'server-back')[0], { level: 'info', server: b.serverId });
  t.regex(b.errorOutput(), /registered with the coordinator as server \d+ again/);
});

test('SIGKILL: a daemon restarted within the timeout is never failed; one left down is failed after the timeout, and available again once restarted on its directory', async (t) => {
  // A timeout long enough for a daemon process to restart within it on a busy machine.
  const longMs = 5000;
  const { coord, b, session, client, keyOn } = await cluster(t, longMs);
  const onB = keyOn(b);
  const aboutB = (event: string) => logged(coord, event).filter((e) => e.server === b.serverId);

  // Killed and restarted at once: the coordinator never calls it failed (its state never changes).
  process.kill(b.pid, 'SIGKILL');
  await b.exited;
  const quick = await startDaemon(t, coord, { dataDir: b.dataDir });
  t.is(quick.serverId, b.serverId);
  await waitForClientConfig(client, (config) => config.servers.find((s) => s.id === b.serverId)?.port === quick.port, 5000);
  t.deepEqual(await client.get('kv', onB), { n: KEYS.indexOf(onB) });
  t.deepEqual(aboutB('server-failed'), []);
  t.deepEqual(aboutB('server-state'), []);
  t.is(aboutB('daemon-rejoined').length, 1);

  // Killed and left down: failed once the timeout has passed, not as soon as its connection closed.
  process.kill(quick.pid, 'SIGKILL');
  const killedAt = performance.now();
  await quick.exited;
  const ms = await untilState(session, b.serverId, ServerState.FAILED, longMs + BOUND_MS);
  t.true(performance.now() - killedAt > longMs / 2, `failed ${ms.toFixed(0)} ms after SIGKILL, timeout ${longMs} ms`);
  t.like(aboutB('server-failed')[0], { timeoutMs: longMs });
  const again = await startDaemon(t, coord, { dataDir: b.dataDir });
  await untilState(session, again.serverId, ServerState.AVAILABLE, 10_000);
  await waitForClientConfig(client, (config) => stateOf(config, b.serverId) === ServerState.AVAILABLE, 5000);
  t.deepEqual(await client.get('kv', onB), { n: KEYS.indexOf(onB) }, 'its objects are back with it');
  t.is(aboutB('server-back').length, 1);
});
