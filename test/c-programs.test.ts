// The C test programs of test/c against real coordinators and daemons: test_ops (every function and
// status of hyperclient.h), test_map_ops (map operations on many keys at once, floored division),
// test_outstanding (10,000 operations outstanding) and test_faults (a daemon stopped with SIGSTOP,
// then killed with SIGKILL, with operations outstanding). Each prints
// "N passed, M failed" last and exits non-zero on a failure. The binaries come from the build that
// test/helpers/cbuild.ts names (HYPERDEX_C_BUILD, default build/native).

import test from 'ava';
import { spawn } from 'node:child_process';
import { Client } from '../src/client/client';
import { cTimeoutMs, findCBinary, runCProgram } from './helpers/cbuild';
import { startCluster, startDaemon } from './helpers/cluster';

test('test_ops: every function of hyperclient.h and the statuses it can produce, on two daemons', async (t) => {
  t.timeout(cTimeoutMs(120_000));
  const bin = findCBinary('test_ops');
  if (!bin) return t.fail('test_ops not built: run `npm run build:native` first');
  const { coord } = await startCluster(t);
  await startDaemon(t, coord);
  const { code, out } = await runCProgram(bin, ['127.0.0.1', String(coord.port)], cTimeoutMs(100_000));
  t.log(out.trim().split('\n').slice(-1)[0]);
  t.is(code, 0, out);
  t.regex(out, /^\d+ passed, 0 failed\s*$/m);

  // What the C client left behind, read by the TypeScript client: the map operations' result and
  // the searches' objects after group_del removed the odd ones.
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  t.teardown(() => client.close());
  const n = await client.get('ops', 'n');
  t.truthy(n);
  t.deepEqual(n!.mi, new Map([['a', 1]]));
  t.deepEqual(n!.ms, new Map([['x', '<mid']]));
  t.deepEqual(n!.ls, ['a', 'b', 'c']);
  t.deepEqual(n!.si, new Set([5]));
  t.is(await client.count('ops', { s: 'even' }), 5);
  t.is(await client.count('ops', { s: 'odd' }), 0);
  t.deepEqual(await client.listSpaces().then((s) => s.includes('tmp')), false);
});

test('test_map_ops: map operations on 1,000 and HYPERDEX_MICRO_OPS_PER_REQUEST_MAX keys, one more refused before sending; floored division', async (t) => {
  t.timeout(cTimeoutMs(120_000));
  const bin = findCBinary('test_map_ops');
  if (!bin) return t.fail('test_map_ops not built: run `npm run build:native` first');
  const { coord } = await startCluster(t);
  const { code, out } = await runCProgram(bin, ['127.0.0.1', String(coord.port)], cTimeoutMs(100_000));
  t.log(out.trim().split('\n').slice(-1)[0]);
  t.is(code, 0, out);
  t.regex(out, /^\d+ passed, 0 failed\s*$/m);

  // What the C client left: the two maps of one key, read by the TypeScript client.
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  t.teardown(() => client.close());
  const over = await client.get('cmaps', 'over');
  t.is((over!.mi as Map<string, number>).size, 10, 'the refused calls changed nothing');
  t.is((over!.ms as Map<string, string>).get('k0000000'), 'z');
});

test('test_outstanding: 10,000 puts, gets and deletes outstanding at once all come back', async (t) => {
  t.timeout(cTimeoutMs(240_000));
  const bin = findCBinary('test_outstanding');
  if (!bin) return t.fail('test_outstanding not built: run `npm run build:native` first');
  const { coord } = await startCluster(t);
  await startDaemon(t, coord);
  const started = Date.now();
  const { code, out } = await runCProgram(bin, ['127.0.0.1', String(coord.port)], cTimeoutMs(220_000));
  // the times of the three batches, for the record
  for (const line of out.split('\n').filter((l) => /outstanding|passed/.test(l))) t.log(line);
  t.log(`test_outstanding took ${Date.now() - started} ms in all`);
  t.is(code, 0, out);
  t.regex(out, /^\d+ passed, 0 failed\s*$/m);
  t.regex(out, /^puts: 10000 operations outstanding, all back in \d+ ms$/m);
});

test('test_faults: TIMEOUT while the daemon is stopped, then every outstanding operation fails when it is killed (the puts UNKNOWNOUTCOME)', async (t) => {
  t.timeout(cTimeoutMs(90_000));
  const bin = findCBinary('test_faults');
  if (!bin) return t.fail('test_faults not built: run `npm run build:native` first');
  // A client's view of a stopped daemon, not failure detection: the coordinator must not fail it meanwhile.
  const { coord, daemon } = await startCluster(t, { failureTimeoutMs: 600_000 });
  const child = spawn(bin, ['127.0.0.1', String(coord.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // a daemon left stopped would not die from the cluster's SIGTERM-free teardown otherwise
    try {
      process.kill(daemon.pid, 'SIGCONT');
    } catch {
      /* already gone */
    }
  });
  let out = '';
  let consumed = 0;
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  // The next READY line after what was already consumed: each handshake is answered once.
  const nextReady = async (): Promise<string> => {
    const limitMs = cTimeoutMs(30_000);
    const deadline = Date.now() + limitMs;
    for (;;) {
      const m = /READY (\w+)\n/.exec(out.slice(consumed));
      if (m) {
        consumed += m.index + m[0].length;
        return m[1];
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no READY line within ${limitMs} ms:\n${out}`);
      const more = new Promise<void>((resolve) => waiters.push(resolve));
      const r = await Promise.race([more.then(() => 'data'), exited.then(() => 'exit'), new Promise((r) => setTimeout(() => r('time'), left).unref())]);
      if (r === 'exit' && !/READY (\w+)\n/.test(out.slice(consumed))) throw new Error(`test_faults exited early:\n${out}`);
    }
  };

  const script: [string, NodeJS.Signals][] = [
    ['stop', 'SIGSTOP'],
    ['cont', 'SIGCONT'],
    ['stop', 'SIGSTOP'],
    ['kill', 'SIGKILL'],
  ];
  for (const [tag, signal] of script) {
    t.is(await nextReady(), tag, out);
    process.kill(daemon.pid, signal);
    child.stdin!.write('go\n');
  }
  child.stdin!.end();
  const code = await exited;
  for (const line of out.split('\n').filter((l) => /after the kill|passed/.test(l))) t.log(line);
  t.is(code, 0, out);
  t.regex(out, /^\d+ passed, 0 failed\s*$/m);
});

test('test_coordinator: loop says COORDFAIL once when the coordinator dies; the daemons still answer', async (t) => {
  t.timeout(cTimeoutMs(60_000));
  const bin = findCBinary('test_coordinator');
  if (!bin) return t.fail('test_coordinator not built: run `npm run build:native` first');
  const { coord } = await startCluster(t);
  const child = spawn(bin, ['127.0.0.1', String(coord.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), cTimeoutMs(50_000));
  t.teardown(() => {
    clearTimeout(killer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  const ready = new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY kill-coordinator\n')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  });
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  t.is(await Promise.race([ready.then(() => 'ready'), exited.then(() => 'exited')]), 'ready', out);
  // gone for sure before the program goes on: its connection has closed by then
  process.kill(coord.pid, 'SIGKILL');
  await coord.exited;
  child.stdin!.end('go\n');
  const code = await exited;
  t.log(out.trim().split('\n').slice(-1)[0]);
  t.is(code, 0, out);
  t.regex(out, /^\d+ passed, 0 failed\s*$/m);
});
