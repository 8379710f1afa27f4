// `npm run bench` in smoke mode (BENCH_SMOKE=1: small sizes, about a second per workload, one
// repetition): installs redis-server and libhiredis-dev when missing (scripts/ensure-bench-deps.sh),
// builds the C driver, runs bench/compare.ts against a cluster, a redis-server and the echo server it
// starts itself, and checks the shape of what it writes: the Markdown table, the JSON record and the
// SVG chart. Speed is not checked here: the figures live in bench/results from full runs.

import test from 'ava';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers/cluster';

const WORKLOADS = ['get', 'put', 'mix50', 'mix95', 'condput', 'atomic_add', 'search1', 'search1000', 'count'];
const SHAPES = ['1x1', '1x64', '4x64'];
const WITH_REDIS = new Set(['get', 'put', 'mix50', 'mix95', 'condput', 'atomic_add']);

/** Runs a command to its end (killed after timeoutMs); stops it by PID on teardown. */
function run(t: { teardown(fn: () => void): void }, cmd: string, args: string[], envExtra: Record<string, string>, timeoutMs: number):
  Promise<{ code: number | string; out: string; err: string }> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...envExtra }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    // SIGTERM first: the benchmark then stops the servers it started before it exits.
    const stop = () => {
      if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
      process.kill(child.pid, 'SIGTERM');
      setTimeout(() => child.exitCode === null && child.signalCode === null && child.pid && process.kill(child.pid, 'SIGKILL'), 15_000).unref();
    };
    t.teardown(stop);
    const timer = setTimeout(stop, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? 'unknown', out, err });
    });
  });
}

test('npm run bench in smoke mode: a table, a JSON record and a chart for every workload and shape', async (t) => {
  t.timeout(600_000);
  const deps = await run(t, 'sh', ['scripts/ensure-bench-deps.sh'], {}, 400_000);
  t.is(deps.code, 0, deps.err);
  const build = await run(t, 'sh', ['bench/build-driver.sh'], {}, 120_000);
  t.is(build.code, 0, build.err);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperdex-bench-smoke-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const started = Date.now();
  const bench = await run(t, process.execPath, [path.join(ROOT, 'dist', 'bench', 'compare.js')], { BENCH_SMOKE: '1', BENCH_RESULTS_DIR: dir }, 400_000);
  t.log(`smoke run took ${Math.round((Date.now() - started) / 1000)} s`);
  t.is(bench.code, 0, `${bench.err}\n${bench.out}`);

  // The table: a header, then one row per workload and shape (one key distribution in smoke mode).
  const lines = bench.out.split('\n').filter((l) => l.startsWith('|'));
  t.regex(lines[0], /^\| workload \| keys \| shape \| HyperDex ops\/s/);
  t.is(lines.length, 2 + WORKLOADS.length * SHAPES.length, bench.out);
  for (const w of WORKLOADS) {
    for (const s of SHAPES) {
      const row = lines.find((l) => l.startsWith(`| ${w} | uniform | ${s} |`));
      t.truthy(row, `no row for ${w} ${s}`);
      const cells = row!.split('|').slice(1, -1).map((c) => c.trim());
      t.regex(cells[3], /^\d+k?\b/, `${w} ${s}: ${row}`);
      t.is(cells[6] === 'N/A', !WITH_REDIS.has(w), `${w} ${s}: redis column ${cells[6]}`);
    }
  }

  // The record.
  const files = fs.readdirSync(dir);
  const jsonName = files.find((f) => f.endsWith('.json'));
  const svgName = files.find((f) => f.endsWith('.svg'));
  t.truthy(jsonName, files.join(', '));
  t.truthy(svgName, files.join(', '));
  const rec = JSON.parse(fs.readFileSync(path.join(dir, jsonName!), 'utf8'));
  t.is(rec.smoke, true);
  t.is(rec.complete, true);
  t.is(rec.daemon_rss_kb.at_end.length, rec.config.daemons);
  t.is(rec.daemon_rss_kb.after_load.length, rec.config.daemons);
  for (const kb of rec.daemon_rss_kb.after_load) t.true(kb > 0);
  for (const w of WORKLOADS) {
    for (const s of SHAPES) {
      const r = rec.results[w].uniform[s];
      t.truthy(r, `no record for ${w} ${s}`);
      t.is(r.failed, undefined, `${w} ${s} failed: ${r.failed}`);
      for (const k of ['ops_per_s', 'p50_us', 'p99_us', 'p999_us', 'server_cpu_s', 'client_cpu_s']) t.is(typeof r[k], 'number', `${w} ${s} ${k}`);
      t.is(r.errors, 0, `${w} ${s}: operations ended in unexpected statuses`);
      if (WITH_REDIS.has(w)) {
        t.is(typeof r.redis.ops_per_s, 'number');
        t.true(r.redis.ops_per_s > 0, `${w} ${s}: redis did nothing`);
        t.is(typeof r.redis.p50_us, 'number');
        t.is(typeof r.redis.p99_us, 'number');
        t.is(typeof r.ratio_vs_redis, 'number');
      } else {
        t.is(r.redis, null);
        t.is(r.ratio_vs_redis, null);
      }
      if (w === 'search1000') {
        t.is(r.limit, null);
      } else {
        t.true(r.limit.ops_per_s > 0, `${w} ${s}: no limit figure`);
        t.is(typeof r.ratio_vs_limit, 'number');
      }
    }
  }
  // Smoke mode stretches a window until one operation completed: every measurement has one, so a
  // latency (the rate, rounded to a whole number, may be 0 when that one took seconds on a busy machine).
  for (const w of WORKLOADS) for (const s of SHAPES) t.true(rec.results[w].uniform[s].p50_us > 0, `${w} ${s}`);
  // Searches find what the load put there: one object per sec value, one group's share of big.
  for (const s of SHAPES) {
    t.is(rec.results.search1.uniform[s].results_per_op, 1);
    t.is(rec.results.search1000.uniform[s].results_per_op, rec.config.big_objects / rec.config.groups);
    t.is(rec.results.count.uniform[s].results_per_op, rec.config.big_objects / rec.config.groups);
  }

  // The waits for idle daemons: after the load and before each workload, each one bounded.
  t.deepEqual(Object.keys(rec.settle), ['after load', ...WORKLOADS.map((w) => `${w} uniform`)]);
  for (const s of Object.values(rec.settle) as { seconds: number; idle: boolean }[]) t.true(s.seconds >= 0 && s.seconds <= 6, `${s.seconds}`);

  // The storage floor, measured first, and the put ceiling it gives beside Redis's put.
  const floor = rec.storage_floor;
  t.is(floor.entries_per_put, 3);
  for (const k of ['puts_per_s', 'cpu_us_per_put', 'latency_p50_us', 'latency_p99_us']) t.true(floor[k] > 0, `storage_floor.${k}: ${floor[k]}`);
  t.true(floor.store.puts_per_s > 0 && floor.store.cpu_us_per_put > 0, JSON.stringify(floor.store));
  t.regex(bench.out, /^The same puts through the daemon's store \(LevelDaemonStore\), no network: /m);
  t.is(floor.put_ceiling_vs_redis.uniform, Math.round((floor.puts_per_s / rec.results.put.uniform['4x64'].redis.ops_per_s) * 100) / 100);
  t.regex(bench.out, /^Storage floor: classic-level alone, .* puts\/s at 256 per batch/m);
  t.regex(bench.out, /^Best put ratio to Redis that this floor allows at 4x64: \d+\.\d\dx \(uniform\)/m);

  // The chart: an SVG with a bar per system for each shape of get and put.
  const svg = fs.readFileSync(path.join(dir, svgName!), 'utf8');
  t.regex(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.regex(svg, /<\/svg>\s*$/);
  t.is((svg.match(/<\/title><\/rect>/g) ?? []).length, 2 * SHAPES.length * 3);
  for (const label of ['HyperDex', 'Redis', 'loopback limit']) t.true(svg.includes(`>${label}</text>`), label);
});
