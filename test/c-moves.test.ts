// libhyperclient while regions move: test/c/test_moves.c keeps 64 operations in flight against a
// space held by one daemon while two more join and take regions over by state transfer. Daemons
// then answer RECONFIGURE, and the library must resend under the next configuration. The program
// checks every answer against what it saw acknowledged; this test starts the daemons, waits
// (bounded) for the moves to end, and tells the program so on its stdin.

import test from 'ava';
import { spawn } from 'node:child_process';
import { Client } from '../src/client/client';
import { ClusterConfig, findSpace } from '../src/common/config';
import { cTimeoutMs, findCBinary } from './helpers/cbuild';
import { SharedScope, startCluster, startDaemon } from './helpers/cluster';

const scope = new SharedScope();
test.after.always(async () => {
  await scope.close();
});

const SPACE = 'space moving key k attributes int n, string g subspace g create 8 partitions tolerate 0 failures';
const SETTLE_MS_MAX = 60_000;

function configOf(c: Client): ClusterConfig {
  return (c as unknown as { config: ClusterConfig }).config;
}

test('the C client resends what daemons answer RECONFIGURE while two daemons join, and loses nothing', async (t) => {
  t.timeout(cTimeoutMs(150_000));
  const bin = findCBinary('test_moves');
  if (!bin) {
    t.fail('test_moves was not built: run `npm run build:native` first');
    return;
  }
  const { coord } = await startCluster(scope);
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  t.teardown(() => client.close());
  await client.addSpace(SPACE);

  const child = spawn(bin, ['127.0.0.1', String(coord.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), cTimeoutMs(140_000));
  t.teardown(() => {
    clearTimeout(killer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const loaded = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('loaded\n')) resolve();
    });
    child.once('exit', () => reject(new Error(`test_moves ended before loading:\n${out}`)));
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  await loaded;

  const joined = [(await startDaemon(scope, coord)).serverId, (await startDaemon(scope, coord)).serverId];
  const settled = () => {
    const layout = findSpace(configOf(client), 'moving');
    if (!layout) return false;
    const regions = layout.subspaces.flatMap((ss) => ss.regions);
    const heads = regions.map((r) => r.replicas[0]);
    return regions.every((r) => r.moving === undefined) && joined.every((j) => heads.includes(j));
  };
  const started = Date.now();
  while (!settled() && Date.now() - started < cTimeoutMs(SETTLE_MS_MAX)) await new Promise((r) => setTimeout(r, 20));
  t.true(settled(), 'the regions moved to the new daemons and the moves ended');
  t.log(`moves settled ${Date.now() - started} ms after the daemons started`);
  child.stdin.end('settled\n');

  const code = await exited;
  for (const line of out.trim().split('\n').filter((l) => !l.startsWith('FAIL')).slice(-3)) t.log(line);
  t.is(code, 0, out);
  t.regex(out, /^[1-9]\d* passed, 0 failed$/m);
});
