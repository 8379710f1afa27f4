// The TypeScript client's timeoutMs is a deadline for a whole operation, retries and waits for a
// newer configuration included; an AbortSignal ends an operation at once and leaves the client
// usable; errors carry their status as a number and as a string. Against real processes: a space
// whose regions have no daemon yet (every attempt meets RECONFIGURE and waits for a newer
// configuration) and a daemon stopped with SIGSTOP (connected, but it never answers).

import test from 'ava';
import { AbortError, Client, HyperClientError, statusCode } from '../src/client/client';
import { Link } from '../src/client/link';
import { Status } from '../src/common/protocol';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, startCluster, startCoordinator } from './helpers/cluster';

/** How late past its deadline (or its abort) an operation may end on a busy 2-core machine. */
const SLACK_MS = 400;
const SPACE = 'space kv key k attributes string v, int64 n';

/** Runs `op` and returns what it rejected with and when, in ms from the call. */
async function rejection(op: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await op();
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new Error('the operation succeeded; it was expected to fail');
}

function assertTimeout(t: import('ava').ExecutionContext, r: { error: unknown; ms: number }, timeoutMs: number, what: string): void {
  t.true(r.error instanceof HyperClientError, `${what}: ${String(r.error)}`);
  const e = r.error as HyperClientError;
  t.is(e.status, Status.TIMEOUT, `${what}: ${e.message}`);
  t.is(e.code, 'HYPERCLIENT_TIMEOUT');
  t.true(r.ms >= timeoutMs - 5, `${what} ended after ${r.ms.toFixed(0)} ms, before its deadline of ${timeoutMs} ms`);
  t.true(r.ms <= timeoutMs + SLACK_MS, `${what} ended after ${r.ms.toFixed(0)} ms, deadline ${timeoutMs} ms`);
}

/**
 * A coordinator without daemons and a space: its regions have no daemon yet, so every operation
 * waits for a configuration in which they have one. (A region whose daemon has failed, or was taken
 * offline, fails at once instead: failure-detection.test.ts.)
 */
async function clusterWithoutDaemons(t: import('ava').ExecutionContext, opts: { timeoutMs?: number } = {}): Promise<Client> {
  const coord = await startCoordinator(t);
  const c = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000, ...opts });
  t.teardown(() => c.close());
  await c.addSpace(SPACE, { timeoutMs: 10_000 });
  return c;
}

test('timeoutMs bounds key operations, searches and counts through their RECONFIGURE retries', async (t) => {
  const c = await clusterWithoutDaemons(t);
  // Before timeoutMs was a deadline, each of these took about 5 s: five waits of 1 s for a
  // configuration in which the region has a live daemon.
  const get = await rejection(() => c.get('kv', 'k1', { timeoutMs: 1000 }));
  assertTimeout(t, get, 1000, 'get');
  t.regex((get.error as Error).message, /get on kv did not finish within 1000 ms \(.*RECONFIGURE|no available daemon/);
  assertTimeout(t, await rejection(() => c.put('kv', 'k2', { v: 'two' }, { timeoutMs: 700 })), 700, 'put');
  assertTimeout(t, await rejection(() => c.atomic_add('kv', 'k1', { n: 1 }, { timeoutMs: 700 })), 700, 'atomic_add');
  assertTimeout(t, await rejection(() => c.count('kv', {}, { timeoutMs: 700 })), 700, 'count');
  assertTimeout(
    t,
    await rejection(async () => {
      for await (const o of c.search('kv', { v: 'one' }, { timeoutMs: 700 })) t.fail(`a result without a daemon: ${JSON.stringify(o)}`);
    }),
    700,
    'search',
  );
});

test("the client's own timeoutMs is the deadline of each operation that does not give one", async (t) => {
  const c = await clusterWithoutDaemons(t, { timeoutMs: 1000 });
  assertTimeout(t, await rejection(() => c.get('kv', 'k1')), 1000, 'get');
  assertTimeout(t, await rejection(() => c.del('kv', 'k1')), 1000, 'del');
});

test('an abort ends an operation that is waiting for a newer configuration, at once', async (t) => {
  const c = await clusterWithoutDaemons(t);
  const controller = new AbortController();
  const started = performance.now();
  const pending = c.get('kv', 'k1', { signal: controller.signal });
  setTimeout(() => controller.abort(), 300);
  const r = await rejection(() => pending);
  t.true(r.error instanceof AbortError, String(r.error));
  const e = r.error as AbortError;
  t.is(e.name, 'AbortError');
  t.is(e.code, 'ABORT_ERR');
  t.regex(e.message, /^get on kv was aborted/);
  t.true(e.cause instanceof Error && e.cause.name === 'AbortError', 'the cause is the signal\'s reason');
  const afterAbort = performance.now() - started - 300;
  t.true(afterAbort < SLACK_MS, `rejected ${afterAbort.toFixed(0)} ms after the abort`);
});

test('an abort ends an operation waiting for a reply; the client stays usable and a late reply is dropped', async (t) => {
  // A client's view of a stopped daemon, not failure detection: the coordinator must not fail it meanwhile.
  const { coord, daemon } = await startCluster(t, { failureTimeoutMs: 600_000 });
  const c = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  t.teardown(() => c.close());
  await c.addSpace(SPACE);
  t.true(await c.put('kv', 'k1', { v: 'one' }));

  // Stopped, the daemon keeps its connections but answers nothing until it is continued.
  process.kill(daemon.pid, 'SIGSTOP');
  t.teardown(() => {
    if (daemon.child.exitCode === null) process.kill(daemon.pid, 'SIGCONT');
  });
  const controller = new AbortController();
  const reason = new Error('the user gave up');
  const pending = c.get('kv', 'k1', { signal: controller.signal });
  setTimeout(() => controller.abort(reason), 300);
  const started = performance.now();
  const r = await rejection(() => pending);
  t.true(r.error instanceof AbortError, String(r.error));
  t.is((r.error as AbortError).cause, reason);
  t.is((r.error as Error).message, 'get on kv was aborted: the user gave up');
  t.true(r.ms < 300 + SLACK_MS, `rejected ${r.ms.toFixed(0)} ms after the call (aborted at 300 ms, from ${started.toFixed(0)})`);

  // Nothing is left waiting on the daemon's link.
  const links = (c as unknown as { daemons: Map<string, Promise<Link>> }).daemons;
  t.is(links.size, 1);
  const link = await [...links.values()][0];
  t.is(link.outstanding, 0);

  // A deadline on a daemon that never answers: TIMEOUT, naming the daemon it waited for.
  const silent = await rejection(() => c.get('kv', 'k1', { timeoutMs: 500 }));
  assertTimeout(t, silent, 500, 'get from a stopped daemon');
  t.regex((silent.error as Error).message, new RegExp(`waiting for a reply from 127\\.0\\.0\\.1:${daemon.port}`));

  process.kill(daemon.pid, 'SIGCONT');
  // The daemon now answers the aborted and timed-out gets too; those replies are dropped, and
  // the same client goes on.
  t.deepEqual(await c.get('kv', 'k1'), { v: 'one', n: 0 });
  t.true(await c.put('kv', 'k2', { v: 'two' }));
  t.deepEqual(await c.get('kv', 'k2'), { v: 'two', n: 0 });
  t.is(link.outstanding, 0);
});

test('connecting to a coordinator that never answers ends at the deadline or the abort, and closing does not wait', async (t) => {
  const coord = await startCoordinator(t);
  process.kill(coord.pid, 'SIGSTOP');
  t.teardown(() => {
    if (coord.child.exitCode === null) process.kill(coord.pid, 'SIGCONT');
  });
  // The kernel accepts the connection; the subscription is never answered.
  assertTimeout(t, await rejection(() => Client.connect('127.0.0.1', coord.port, { timeoutMs: 600 })), 600, 'connect');
  const aborted = await rejection(() => Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000, signal: AbortSignal.timeout(300) }));
  t.true(aborted.error instanceof AbortError, String(aborted.error));
  t.true(aborted.ms < 300 + SLACK_MS, `connect rejected after ${aborted.ms.toFixed(0)} ms, aborted at 300 ms`);
  // An operation in flight when its client closes fails at once with DISCONNECT.
  process.kill(coord.pid, 'SIGCONT');
  const c = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  process.kill(coord.pid, 'SIGSTOP');
  const listing = rejection(() => c.listSpaces());
  const closing = performance.now();
  await c.close();
  const r = await listing;
  t.true(r.error instanceof HyperClientError && r.error.code === 'HYPERCLIENT_DISCONNECT', String(r.error));
  t.true(performance.now() - closing < SLACK_MS);
  const later = (await rejection(() => c.get('kv', 'k'))).error;
  t.true(later instanceof HyperClientError && later.code === 'HYPERCLIENT_COORDFAIL', String(later));
});

test('an operation given a signal that has already fired rejects without sending anything', async (t) => {
  const { coord } = await startCluster(t);
  const c = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  t.teardown(() => c.close());
  await c.addSpace(SPACE);
  const signal = AbortSignal.abort();
  for (const op of [
    () => c.get('kv', 'k1', { signal }),
    () => c.put('kv', 'k1', { v: 'x' }, { signal }),
    () => c.count('kv', {}, { signal }),
    () => c.listSpaces({ signal }),
  ]) {
    const r = await rejection(op);
    t.true(r.error instanceof AbortError, String(r.error));
  }
  t.is(await c.get('kv', 'k1'), null, 'the aborted put was not sent');
  // AbortSignal.timeout's reason is a TimeoutError: the AbortError carries it as its cause.
  const timeout = AbortSignal.timeout(1);
  await once(timeout, 'abort');
  const r = await rejection(() => c.get('kv', 'k1', { signal: timeout }));
  t.true(r.error instanceof AbortError, String(r.error));
  t.is(((r.error as AbortError).cause as Error).name, 'TimeoutError');
});

test('errors carry the status as a number and as the string the C and Python clients name it by', async (t) => {
  const { coord } = await startCluster(t);
  const c = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  t.teardown(() => c.close());
  const r = await rejection(() => c.get('nosuchspace', 'k'));
  t.true(r.error instanceof HyperClientError);
  const e = r.error as HyperClientError;
  t.is(e.status, 8512);
  t.is(e.code, 'HYPERCLIENT_UNKNOWNSPACE');
  t.is(e.statusName, 'UNKNOWNSPACE');
  t.is(typeof e.code, 'string');

  // Every status's string is the constant hyperclient_status.h gives its number.
  const header = fs.readFileSync(path.join(ROOT, 'native', 'include', 'hyperclient_status.h'), 'utf8');
  const constants = new Map([...header.matchAll(/^\s*(HYPERCLIENT_\w+)\s*=\s*(\d+)/gm)].map((m) => [Number(m[2]), m[1]]));
  for (const code of Object.values(Status)) t.is(statusCode(code), constants.get(code) ?? `no constant for ${code} in hyperclient_status.h`);
  t.is(statusCode(1), 'HYPERCLIENT_UNKNOWN');
});

test('a timeoutMs that is not a positive number of milliseconds is refused with a clear error', async (t) => {
  for (const bad of [0, -5, Number.NaN, Infinity, 2 ** 31, '1000' as unknown as number]) {
    t.throws(() => new Client('127.0.0.1', 1, { timeoutMs: bad }), { instanceOf: RangeError, message: /^timeoutMs must be a number of milliseconds/ });
  }
  t.throws(() => new Client('127.0.0.1', 1, { connectTimeoutMs: 0 }), { instanceOf: RangeError, message: /^connectTimeoutMs/ });
  const c = new Client('127.0.0.1', 1);
  t.teardown(() => c.close());
  await t.throwsAsync(() => c.get('kv', 'k', { timeoutMs: -1 }), { instanceOf: RangeError });
  await t.throwsAsync(() => c.get('kv', 'k', { signal: 'no' as unknown as AbortSignal }), { instanceOf: TypeError, message: 'signal must be an AbortSignal' });
});
