// hyperclient-json-bridge (native/tools/json_bridge.c, docs/bridge.md) against a real cluster: the
// scenario test/bridge/scenario.jsonl must print exactly test/bridge/scenario.expected, whose lines
// were written from the documented semantics (docs/bridge.md, docs/protocol.md 4.10), not copied
// from a run; then TIMEOUT with the daemon stopped, an over-long line, and going on after both.

import test from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '../src/client/client';
import { cTimeoutMs, findCBinary } from './helpers/cbuild';
import { ROOT, startCluster, startDaemon } from './helpers/cluster';

const BRIDGE = 'hyperclient-json-bridge';

test('the bridge prints the expected line for every line of the scenario', async (t) => {
  t.timeout(cTimeoutMs(90_000));
  const bin = findCBinary(BRIDGE);
  if (!bin) return t.fail(`${BRIDGE} not built: run \`npm run build:native\` first`);
  const { coord } = await startCluster(t);
  await startDaemon(t, coord);
  const input = fs.readFileSync(path.join(ROOT, 'test/bridge/scenario.jsonl'));
  const expected = fs.readFileSync(path.join(ROOT, 'test/bridge/scenario.expected'), 'utf8');

  const child = spawn(bin, ['127.0.0.1', String(coord.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const killer = setTimeout(() => child.kill('SIGKILL'), cTimeoutMs(80_000));
  const code = await new Promise<number | string>((resolve) => {
    child.once('close', (c, s) => resolve(c ?? s ?? 'unknown'));
    child.stdin!.end(input);
  });
  clearTimeout(killer);
  t.is(code, 0, err);
  // line by line first, so that a failure names the request
  const requests = input.toString('utf8').split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const got = out.split('\n');
  const want = expected.split('\n');
  for (let i = 0; i < Math.max(requests.length, want.length - 1); i++) {
    t.is(got[i], want[i], `request ${i + 1}: ${requests[i]}`);
  }
  t.is(out, expected);
  // the reasons of the three error lines went to stderr with their line numbers
  t.regex(err, /line \d+: BADJSON/);
  t.regex(err, /line \d+: BADOP: unknown or missing "op": frobnicate/);
  t.regex(err, /line \d+: BADARG: 1\.5 is not an int64/);

  // the scenario's last successful line removed its space
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  t.teardown(() => client.close());
  t.false((await client.listSpaces()).includes('people'));
});

test('the bridge prints TIMEOUT while the daemon is stopped, TOOLONG for a line over 16 MiB, and goes on', async (t) => {
  t.timeout(cTimeoutMs(90_000));
  const bin = findCBinary(BRIDGE);
  if (!bin) return t.fail(`${BRIDGE} not built: run \`npm run build:native\` first`);
  const { coord, daemon } = await startCluster(t);
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  t.teardown(() => client.close());
  await client.addSpace('space kv key k attributes int v create 2 partitions tolerate 0 failures');

  // a 1,000 ms limit per operation
  const child = spawn(bin, ['127.0.0.1', String(coord.port), '1000'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    try {
      process.kill(daemon.pid, 'SIGCONT');
    } catch {
      /* already gone */
    }
  });
  let out = '';
  let err = '';
  let wake: (() => void) | undefined;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    wake?.();
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => child.once('close', (c, s) => resolve(c ?? s ?? 'unknown')));
  let read = 0;
  // Sends one request and returns its result line (bounded).
  const ask = async (line: string | Buffer): Promise<string> => {
    child.stdin!.write(line);
    child.stdin!.write('\n');
    const limitMs = cTimeoutMs(20_000);
    const deadline = Date.now() + limitMs;
    for (;;) {
      const nl = out.indexOf('\n', read);
      if (nl >= 0) {
        const r = out.slice(read, nl);
        read = nl + 1;
        return r;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer to ${String(line).slice(0, 200)} within ${limitMs} ms; stderr:\n${err}`);
      await Promise.race([
        new Promise<void>((r) => (wake = r)),
        exited.then((c) => {
          throw new Error(`the bridge exited (${c}); stderr:\n${err}`);
        }),
        new Promise((r) => setTimeout(r, left).unref()),
      ]);
    }
  };

  t.is(await ask('{"op":"put","space":"kv","key":"a","attrs":{"v":1}}'), '{"ok":true}');
  process.kill(daemon.pid, 'SIGSTOP');
  const started = Date.now();
  t.is(await ask('{"op":"get","space":"kv","key":"a"}'), '{"status":"TIMEOUT"}');
  const waited = Date.now() - started;
  t.true(waited >= 900 && waited < cTimeoutMs(10_000), `TIMEOUT after ${waited} ms`);
  process.kill(daemon.pid, 'SIGCONT');
  // the get given up on completes later; its reply must not be taken for the next operation's
  t.is(await ask('{"op":"atomic_add","space":"kv","key":"a","attrs":{"v":41}}'), '{"ok":true}');
  t.is(await ask('{"op":"get","space":"kv","key":"a"}'), '{"ok":{"v":42}}');

  const long = Buffer.alloc(16 * 1024 * 1024 + 1, 0x20);
  t.is(await ask(long), '{"error":"TOOLONG"}');
  t.is(await ask('{"op":"get","space":"kv","key":"a"}'), '{"ok":{"v":42}}');
  t.is(await ask('{"op":"get","space":"kv","key":"a"'), '{"error":"BADJSON"}');
  t.is(await ask('[1,2]'), '{"error":"BADJSON"}');
  t.is(await ask('{"op":"get","space":"kv","key":{"list":[]}}'), '{"error":"BADARG"}');
  t.is(await ask('{"op":"get","space":"kv","key":"zz"}'), '{"ok":null}');
  child.stdin!.end();
  t.is(await exited, 0, err);
  t.is(await client.get('kv', 'a').then((o) => o?.v), 42);
});
