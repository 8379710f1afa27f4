// hyperclient-json-bridge (native/tools/json_bridge.c, docs/bridge.md) against a real cluster: the
// scenario test/bridge/scenario.jsonl must print exactly test/bridge/scenario.expected, whose lines
// were written from the documented semantics (docs/bridge.md, docs/protocol.md 4.10), not copied
// from a run; then TIMEOUT with the daemon stopped, an over-long line, and going on after both; then
// map operations of 1,000 and HYPERDEX_MICRO_OPS_PER_REQUEST_MAX (65,536) entries, and one more
// refused with OVERFLOW with nothing changed.

import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '../src/client/client';
import { LIMITS } from '../src/common/protocol';
import { cTimeoutMs, findCBinary } from './helpers/cbuild';
import { ROOT, startCluster, startDaemon } from './helpers/cluster';

const BRIDGE = 'hyperclient-json-bridge';

/** The entries one map operation may name: HYPERDEX_MICRO_OPS_PER_REQUEST_MAX (65,536) in C. */
const MAP_ENTRIES_MAX = LIMITS.microOpsPerRequestMax;

/**
 * A bridge started on `args` whose requests go one at a time: ask() writes a line and returns the
 * result line (bounded by cTimeoutMs(limitMs)); end() closes stdin and returns the exit status.
 */
function startBridge(t: ExecutionContext, bin: string, args: string[], limitMs = 20_000) {
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
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
  const ask = async (line: string | Buffer): Promise<string> => {
    child.stdin!.write(line);
    child.stdin!.write('\n');
    const scaledMs = cTimeoutMs(limitMs);
    const deadline = Date.now() + scaledMs;
    for (;;) {
      const nl = out.indexOf('\n', read);
      if (nl >= 0) {
        const r = out.slice(read, nl);
        read = nl + 1;
        return r;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer to ${String(line).slice(0, 200)} within ${scaledMs} ms; stderr:\n${err}`);
      await Promise.race([
        new Promise<void>((r) => (wake = r)),
        exited.then((c) => {
          throw new Error(`the bridge exited (${c}); stderr:\n${err}`);
        }),
        new Promise((r) => setTimeout(r, left).unref()),
      ]);
    }
  };
  const end = async (): Promise<number | string> => {
    child.stdin!.end();
    return exited;
  };
  return { ask, end, stderr: () => err };
}

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
  const { ask, end, stderr } = startBridge(t, bin, ['127.0.0.1', String(coord.port), '1000']);
  t.teardown(() => {
    try {
      process.kill(daemon.pid, 'SIGCONT');
    } catch {
      /* already gone */
    }
  });

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
  t.is(await end(), 0, stderr());
  t.is(await client.get('kv', 'a').then((o) => o?.v), 42);
});

test('the bridge takes map operations of 1,000 and 65,536 entries, and refuses 65,537 with OVERFLOW, changing nothing', async (t) => {
  t.timeout(cTimeoutMs(180_000));
  const bin = findCBinary(BRIDGE);
  if (!bin) return t.fail(`${BRIDGE} not built: run \`npm run build:native\` first`);
  const { coord } = await startCluster(t);
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 30_000 });
  t.teardown(() => client.close());
  await client.addSpace('space maps key k attributes map(string, int64) mi, map(string, string) ms create 2 partitions tolerate 0 failures');
  t.is(MAP_ENTRIES_MAX, 65_536);
  const { ask, end, stderr } = startBridge(t, bin, ['127.0.0.1', String(coord.port)], 60_000);

  // "k" and 7 digits: the map keys sort as they are numbered, so the printed map is in this order
  const mapKey = (i: number): string => `k${String(i).padStart(7, '0')}`;
  const entries = (n: number, value: (i: number) => unknown, from = 0): unknown[][] =>
    Array.from({ length: n }, (_, i) => [mapKey(from + i), value(from + i)]);
  const request = (op: string, key: string, attrs: object, space = 'maps'): string => JSON.stringify({ op, space, key, attrs });
  const get = (key: string): string => JSON.stringify({ op: 'get', space: 'maps', key });
  // the canonical printing of an object of this space (docs/bridge.md): members by name
  const printed = (mi: unknown[][], ms: unknown[][] = []): string =>
    `{"ok":${JSON.stringify({ mi: { map: mi }, ms: { map: ms } })}}`;
  const identity = (i: number): number => i;

  for (const n of [1_000, MAP_ENTRIES_MAX]) {
    const key = `many-${n}`;
    t.is(await ask(request('put', key, {})), '{"ok":true}', `put ${key}`);
    t.is(await ask(request('map_add', key, { mi: { map: entries(n, identity) } })), '{"ok":true}', `map_add of ${n}`);
    t.is(await ask(get(key)), printed(entries(n, identity)), `${n} entries read back through the bridge`);
    const seen = (await client.get('maps', key))?.mi as Map<string, unknown> | undefined;
    t.is(seen?.size, n, `${n} entries read back through the TypeScript client`);
    t.is(seen?.get(mapKey(n - 1)), n - 1);
  }
  // the other two shapes of map operation at the limit: an operand per key, and keys only
  const full = `many-${MAP_ENTRIES_MAX}`;
  t.is(await ask(request('map_atomic_add', full, { mi: { map: entries(MAP_ENTRIES_MAX, () => 5) } })), '{"ok":true}');
  t.is(await ask(get(full)), printed(entries(MAP_ENTRIES_MAX, (i) => i + 5)), 'map_atomic_add of 65,536 applied to every key');
  t.is(await ask(request('map_remove', full, { mi: { map: entries(MAP_ENTRIES_MAX, () => null) } })), '{"ok":true}');
  t.is(await ask(get(full)), printed([]), 'map_remove of 65,536 removed every key');
  // the limit is per request, across attributes
  t.is(await ask(request('put', 'split', {})), '{"ok":true}');
  const split = { mi: { map: entries(MAP_ENTRIES_MAX - 536, identity) }, ms: { map: entries(536, () => 'x') } };
  t.is(await ask(request('map_add', 'split', split)), '{"ok":true}', '65,536 entries over two maps');
  t.is(await ask(get('split')), printed(entries(MAP_ENTRIES_MAX - 536, identity), entries(536, () => 'x')));

  // One more than the limit: OVERFLOW, as libhyperclient refuses it (before anything is sent), for
  // every shape of map operation, in one map or over two, and before the space is looked up.
  const small = 'many-1000';
  const over = MAP_ENTRIES_MAX + 1;
  const refused: [string, string][] = [
    ['map_add', request('map_add', small, { mi: { map: entries(over, () => 7) } })],
    ['map_atomic_add', request('map_atomic_add', small, { mi: { map: entries(over, () => 7) } })],
    ['map_string_append', request('map_string_append', small, { ms: { map: entries(over, () => 'y') } })],
    ['map_remove', request('map_remove', small, { mi: { map: entries(over, () => null) } })],
    ['map_add over two maps', request('map_add', small, { mi: { map: entries(over - 536, () => 7) }, ms: { map: entries(536, () => 'y') } })],
    ['map_add on no such space', request('map_add', small, { mi: { map: entries(over, () => 7) } }, 'nosuch')],
  ];
  for (const [what, line] of refused) t.is(await ask(line), '{"status":"OVERFLOW"}', `${what} of 65,537 entries`);
  // a malformed entry is BADARG at any size: the line is not run
  const bad = entries(over, () => 7);
  bad[over - 1]![1] = 1.5;
  t.is(await ask(request('map_add', small, { mi: { map: bad } })), '{"error":"BADARG"}');
  t.is(await ask(get(small)), printed(entries(1_000, identity)), 'the object is unchanged');
  const seen = (await client.get('maps', small))?.mi as Map<string, unknown> | undefined;
  t.is(seen?.size, 1_000);
  t.is(seen?.get(mapKey(999)), 999);

  // attributes and checks keep the library's bound of 256: 257 is still refused by the bridge
  const attrs257 = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`a${i}`, 1]));
  t.is(await ask(request('put', 'x', attrs257)), '{"error":"BADARG"}');
  t.is(await ask(JSON.stringify({ op: 'count', space: 'maps', predicate: attrs257 })), '{"error":"BADARG"}');
  t.is(await ask(get('split')), printed(entries(MAP_ENTRIES_MAX - 536, identity), entries(536, () => 'x')));
  t.is(await end(), 0, stderr());
  t.regex(stderr(), /BADARG: more than 256 attributes/);
  t.regex(stderr(), /BADARG: 1\.5 is not an int64/);
});
