// libhyperclient (native/src/client_*.c) against a real coordinator and daemon: runs the C program
// build/native/test_client (test/c/test_client.c) on the manual's phonebook space, then checks from
// the TypeScript client what the C client wrote.

import test from 'ava';
import { spawn } from 'node:child_process';
import { Client } from '../src/client/client';
import { cTimeoutMs, findCBinary, runCProgram } from './helpers/cbuild';
import { SharedScope, startCluster, startDaemon } from './helpers/cluster';

const scope = new SharedScope();

test.after.always(async () => {
  await scope.close();
});

// build/native/test_client, or from the build HYPERDEX_C_BUILD names (test/helpers/cbuild.ts).
function findTestClient(): string | undefined {
  return findCBinary('test_client');
}

const PHONEBOOK =
  'space phonebook\ndimensions username, first, last, phone (int64)\nkey username auto 1 1\nsubspace first, last, phone auto 1 1\n';

// Three daemons, 8 regions a subspace: the searches of test_client reach every daemon.
const PHONEBOOK3 =
  'space phonebook\ndimensions username, first, last, phone (int64)\nkey username auto 3 1\nsubspace first, last, phone auto 3 1\n';

test('the C client runs the phonebook session (keys and searches, three daemons) and what it wrote is there', async (t) => {
  const bin = findTestClient();
  if (!bin) {
    t.fail('build/native/test_client not found: run `sh scripts/build-native.sh` first');
    return;
  }
  const { coord } = await startCluster(scope);
  await startDaemon(scope, coord);
  await startDaemon(scope, coord);
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  t.teardown(() => client.close());
  await client.addSpace(PHONEBOOK3);

  const { code, out } = await runCProgram(bin, ['127.0.0.1', String(coord.port)], cTimeoutMs(60_000));
  t.log(out.trim().split('\n').slice(-1)[0]);
  t.is(code, 0, out);
  t.regex(out, /^\d+ passed, 0 failed\s*$/m);

  t.deepEqual(await client.get('phonebook', 'jsmith1'), { first: 'John', last: 'Smith', phone: 6075551024 });
  t.is(await client.get('phonebook', 'jd'), null);
  t.deepEqual(await client.get('phonebook', 'short'), { first: 'Short', last: '', phone: 1337 });
  t.deepEqual(await client.get('phonebook', 'bulk0'), { first: 'F0', last: '', phone: 0 });
  t.deepEqual(await client.get('phonebook', 'bulk517'), { first: 'F517', last: '', phone: 517 });
  t.deepEqual(await client.get('phonebook', 'bulk999'), { first: 'F999', last: '', phone: 999 });
  t.deepEqual(await client.get('phonebook', 'jdoe'), { first: 'John', last: 'Doe', phone: 6075557878 });
  // jsmith1, jdoe, short and the 1,000 bulk objects
  t.is(await client.count('phonebook', {}), 1003);
  // the C client's searches for phone in [0, 1000) and first = John were planned alike: several daemons
  t.is(await client.count('phonebook', { phone: [0, 1000] }), 1000);
  t.like(client.lastSearchContacts(), { subspace: 1, regions: 4, servers: 3 });
  t.is(await client.count('phonebook', { first: 'John' }), 2);
  t.true(client.lastSearchContacts()!.servers >= 2);
});

test('the C client reports TIMEOUT while its daemon is stopped, and tries a get again when it dies until the tries give up', async (t) => {
  const bin = findTestClient();
  if (!bin) {
    t.fail('build/native/test_client not found: run `sh scripts/build-native.sh` first');
    return;
  }
  // A client's view of a stopped daemon, not failure detection: the coordinator must not fail it meanwhile.
  const { coord, daemon } = await startCluster(scope, { failureTimeoutMs: 600_000 });
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  t.teardown(() => client.close());
  await client.addSpace(PHONEBOOK);

  const child = spawn(bin, ['127.0.0.1', String(coord.port), 'faults'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) if (w.re.test(out)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const waitFor = (re: RegExp) =>
    Promise.race([
      new Promise<void>((resolve) => (re.test(out) ? resolve() : waiters.push({ re, resolve }))),
      exited.then((code) => {
        throw new Error(`test_client exited (${code}) before ${re}:\n${out}`);
      }),
      new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`no ${re} within ${cTimeoutMs(20_000)} ms:\n${out}`)), cTimeoutMs(20_000)).unref()),
    ]);

  await waitFor(/READY stop/);
  process.kill(daemon.pid, 'SIGSTOP');
  child.stdin!.write('go\n');
  await waitFor(/READY kill/);
  process.kill(daemon.pid, 'SIGKILL');
  child.stdin!.end('go\n');
  const code = await exited;
  t.log(out.trim().split('\n').slice(-1)[0]);
  t.is(code, 0, out);
  t.regex(out, /^\d+ passed, 0 failed\s*$/m);
});
