// npm run bench — HyperDex beside Redis and the machine's loopback request/response limit, measured
// by one C driver (bench/driver.c, built into build/bench/hyperdex-bench) in one run.
//
// Starts, each on 127.0.0.1 with an ephemeral port and a temporary directory:
//   - a HyperDex cluster: `hyperdex coordinator -f -l 127.0.0.1 -p 0 -D DIR` and BENCH_DAEMONS x
//     `hyperdex daemon -f --listen=127.0.0.1 --listen-port=0 --coordinator=127.0.0.1
//     --coordinator-port=P --data=DIR` (test/helpers/cluster.ts), spaces kv and big;
//   - `redis-server --bind 127.0.0.1 --port P --save '' --appendonly no --dir DIR` (no persistence);
//   - `hyperdex-bench serve-echo` (the limit).
// Loads BENCH_KEYS objects into kv (and redis), BENCH_BIG_OBJECTS into big, then runs every
// workload x key distribution x shape BENCH_REPS times (warm-up, then a fixed time), and writes a
// Markdown table to stdout, bench/results/<date>.json and bench/results/<date>.svg. Every process
// it starts is stopped by PID at the end, on failure and on Ctrl-C. docs/benchmarks.md says more.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Progress } from '../src/cli/progress';
import { Client } from '../src/client/client';
import { ROOT, SharedScope, startCoordinator, startDaemon } from '../test/helpers/cluster';
import { chartSvg } from './chart';
import { Agg, Cell, Figures, Shape, aggregate, floorNote, markdownTable, ratio } from './report';
import { StorageFloor } from './storage-floor';

const env = process.env;
const SMOKE = env.BENCH_SMOKE === '1';
function num(name: string, fallback: number, lo: number, hi: number): number {
  const raw = env[name];
  const v = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(v) || v < lo || v > hi) throw new Error(`${name}=${raw}: want a number from ${lo} to ${hi}`);
  return v;
}
function list(name: string, fallback: string, allowed: readonly string[]): string[] {
  const items = (env[name] || fallback).split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const it of items) if (!allowed.includes(it)) throw new Error(`${name}: ${it} is not one of ${allowed.join(', ')}`);
  return items;
}

export const WORKLOADS = ['get', 'put', 'mix50', 'mix95', 'condput', 'atomic_add', 'search1', 'search1000', 'count'] as const;
/** What redis runs for each workload (docs/benchmarks.md); absent: no equivalent. */
const REDIS_EQUIVALENT: Record<string, string> = {
  get: 'GET',
  put: 'SET',
  mix50: 'GET/SET',
  mix95: 'GET/SET',
  condput: 'EVALSHA (Lua: GET, compare, SET)',
  atomic_add: 'INCRBY',
};
/** Workloads whose unit is one small request and one small reply, which the echo limit bounds. */
const LIMIT_APPLIES = new Set(['get', 'put', 'mix50', 'mix95', 'condput', 'atomic_add', 'search1', 'count']);

const KEYS = num('BENCH_KEYS', SMOKE ? 1000 : 100_000, 1, 100_000_000);
const BIG = num('BENCH_BIG_OBJECTS', SMOKE ? 2_000 : 1_000_000, 1, 100_000_000);
// ~1,000 objects per group: a search for one group returns ~1,000 objects of BIG.
const GROUPS = num('BENCH_GROUPS', SMOKE ? 20 : Math.max(1, Math.round(BIG / 1000)), 1, 100_000_000);
// A smaller big space in smoke mode: its searches are the slowest operations, and there a run
// only shows that every piece works.
const SECONDS = num('BENCH_SECONDS', SMOKE ? 0.3 : 3, 0.05, 3600);
const WARMUP = num('BENCH_WARMUP', SMOKE ? 0.1 : 1, 0, 3600);
const REPS = num('BENCH_REPS', SMOKE ? 1 : 3, 1, 100);
// One daemon per core left once the driver has one: the daemons, the driver and the servers it
// compares with share the machine. On 2 cores that is 1, which measured better than 2 on every
// key workload once gets and writes got cheaper (docs/benchmarks.md, Caveats).
const DAEMONS = num('BENCH_DAEMONS', Math.max(1, os.cpus().length - 1), 1, 16);
const PARTITIONS = num('BENCH_PARTITIONS', 8, 1, 1024);
const DISTS = list('BENCH_DISTS', SMOKE ? 'uniform' : 'uniform,zipf', ['uniform', 'zipf']);
const SELECTED = list('BENCH_WORKLOADS', WORKLOADS.join(','), WORKLOADS);
const SHAPES: Shape[] = list('BENCH_SHAPES', '1x1,1x64,4x64', ['1x1', '1x64', '4x64', '2x64', '1x16', '4x1', '8x64']).map((s) => {
  const [conns, depth] = s.split('x').map(Number);
  return { name: s, conns, depth };
});
// At least this many operations per measurement (the window is stretched for them): in smoke mode
// one, so that every row shows what an operation does even when the machine is busy.
const MIN_OPS = num('BENCH_MIN_OPS', SMOKE ? 1 : 0, 0, 1_000_000);
const TIMEOUT_MS = num('BENCH_TIMEOUT_MS', 120_000, 1000, 3_600_000);
const SYSTEMS = list('BENCH_SYSTEMS', 'hyperdex,redis,echo', ['hyperdex', 'redis', 'echo']);
const RESULTS_DIR = path.resolve(ROOT, env.BENCH_RESULTS_DIR || path.join('bench', 'results'));
const DRIVER = path.resolve(ROOT, env.BENCH_DRIVER || path.join('build', 'bench', 'hyperdex-bench'));
const STARTUP_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const REDIS_START_TRIES = 5;
const SETTLE_STEP_MS = SMOKE ? 250 : 1000;
const SETTLE_IDLE_SHARE = 0.05;
const SETTLE_MAX_MS = num('BENCH_SETTLE_MAX_S', SMOKE ? 5 : 300, 0, 3600) * 1000;

// ---- processes we start, stopped by PID -----------------------------------------------------

const started = new Set<ChildProcess>();
const scope = new SharedScope();
const tempDirs: string[] = [];

function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL if it has not exited within STOP_TIMEOUT_MS. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([exited, timer])) === 'timeout') {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await exited;
  }
}

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of [...started]) await stop(c);
    await scope.close();
    for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  })();
  return cleaning;
}
// Last resort, when the process ends without cleanup having run (an uncaught throw in a callback).
process.on('exit', () => {
  for (const c of started) if (c.pid) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`bench: ${sig}, stopping everything it started\n`);
    void cleanup().then(() => process.exit(130));
  });
}

/** Resolves with the first match of `pattern` in the child's output; rejects on exit or timeout. */
function waitOutput(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => done(new Error(`${what}: no ${pattern} within ${STARTUP_TIMEOUT_MS} ms:\n${out}`)), STARTUP_TIMEOUT_MS);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(pattern);
      if (m) done(undefined, m);
    };
    const onExit = (code: number | null, sig: string | null) => done(new Error(`${what} exited (${code ?? sig}) before starting:\n${out}`));
    const done = (err?: Error, m?: RegExpMatchArray) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function startEcho(): Promise<{ pid: number; port: number }> {
  const child = track(spawn(DRIVER, ['serve-echo'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const m = await waitOutput(child, /echo listening on 127\.0\.0\.1:(\d+)/, 'echo server');
  return { pid: child.pid!, port: Number(m[1]) };
}

async function startRedis(): Promise<{ pid: number; port: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperdex-bench-redis-'));
  tempDirs.push(dir);
  // The port is free when asked and taken a moment later; another program may take it in between,
  // hence a few tries.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = track(spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no',
      '--dir', dir, '--protected-mode', 'no', '--loglevel', 'notice'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      await waitOutput(child, /Ready to accept connections/, 'redis-server');
      return { pid: child.pid!, port };
    } catch (e) {
      await stop(child);
      if (attempt >= REDIS_START_TRIES) throw e;
    }
  }
}

// ---- the driver ---------------------------------------------------------------------------------

/**
 * Runs a program to its end (killed after timeoutMs) and returns the JSON line it printed last;
 * rejects, naming it `what` with its output, when it fails or printed none.
 */
function runJson(cmd: string, args: string[], what: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), timeoutMs);
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`${what}: exit ${code ?? sig}\n${err}${out}`));
        return;
      }
      resolve(JSON.parse(last) as Record<string, unknown>);
    });
  });
}

/** Runs the driver and returns the JSON line it printed last. */
function driver(args: string[], timeoutMs: number): Promise<Record<string, unknown>> {
  return runJson(DRIVER, args, `hyperdex-bench ${args.join(' ')}`, timeoutMs);
}

function runTimeoutMs(): number {
  // the warm-up and the measured time, plus the drain of what is in flight (30 s per reply at most)
  return (WARMUP + SECONDS) * 1000 + 2 * TIMEOUT_MS;
}

async function measure(backend: string, port: number, pids: number[], workload: string, dist: string, shape: Shape): Promise<Figures> {
  const r = await driver(['run', `backend=${backend}`, 'host=127.0.0.1', `port=${port}`, `workload=${workload}`, `dist=${dist}`,
    `conns=${shape.conns}`, `depth=${shape.depth}`, `seconds=${SECONDS}`, `warmup=${WARMUP}`, `keys=${KEYS}`, `groups=${GROUPS}`,
    `pids=${pids.join(',')}`, `timeout_ms=${TIMEOUT_MS}`, `min_ops=${MIN_OPS}`], runTimeoutMs());
  return r as unknown as Figures;
}

/**
 * The measurements' progress: on a terminal a bar (src/cli/progress.ts) that shows the last
 * measurement's line; elsewhere (a log, a pipe, a test) each measurement's line as it ends.
 */
const measured = {
  progress: undefined as Progress | undefined,
  done: 0,
  last: '',
  /** A measurement ended with this line. */
  say(line: string): void {
    this.done++;
    this.last = line.trim();
    if (this.progress) this.progress.update(this.done);
    else process.stderr.write(`${line}
`);
  },
};

/** The repetitions of one measurement, or the reason it failed (recorded, and the run goes on). */
async function measureReps(backend: string, port: number, pids: number[], workload: string, dist: string, shape: Shape): Promise<Agg | string> {
  const runs: Figures[] = [];
  const label = `${backend.padEnd(8)} ${workload.padEnd(10)} ${dist.padEnd(7)} ${shape.name.padEnd(4)}`;
  try {
    for (let i = 0; i < REPS; i++) runs.push(await measure(backend, port, pids, workload, dist, shape));
  } catch (e) {
    const why = (e as Error).message.split('\n').filter((l) => l.startsWith('hyperdex-bench:')).join(' ') || (e as Error).message;
    measured.say(`  ${label} FAILED: ${why}`);
    return why;
  }
  const agg = aggregate(runs);
  measured.say(`  ${label} ${Math.round(agg.ops_per_s)} ops/s  p50 ${agg.p50_us} us  p99 ${agg.p99_us} us` + `${agg.errors ? `  (${agg.errors} errors)` : ''}`);
  return agg;
}

/** CPU ticks (user + system, all threads) a process has used so far. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces), from the 3rd: utime and stime are 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/**
 * Waits until the daemons are idle (LevelDB may go on compacting what a workload wrote after its
 * last write was acknowledged): until they used less than SETTLE_IDLE_SHARE of a core together in
 * each of two consecutive SETTLE_STEP_MS, at most SETTLE_MAX_MS. Returns the seconds waited and
 * whether they went idle.
 */
async function settle(pids: readonly number[]): Promise<{ seconds: number; idle: boolean }> {
  const hz = 100; // USER_HZ: /proc's ticks per second on Linux
  const start = Date.now();
  let quiet = 0;
  let before = pids.reduce((a, p) => a + cpuTicks(p), 0);
  while (Date.now() - start < SETTLE_MAX_MS) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_STEP_MS));
    const now = pids.reduce((a, p) => a + cpuTicks(p), 0);
    const share = (now - before) / hz / (SETTLE_STEP_MS / 1000);
    before = now;
    quiet = share < SETTLE_IDLE_SHARE ? quiet + 1 : 0;
    if (quiet >= 2) return { seconds: Math.round((Date.now() - start) / 100) / 10, idle: true };
  }
  return { seconds: Math.round((Date.now() - start) / 100) / 10, idle: false };
}

function rssKb(pid: number): number {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m);
  return m ? Number(m[1]) : -1;
}

/**
 * classic-level alone with a put's LevelDB writes (bench/storage-floor.ts), in a process of its
 * own while nothing else runs: the ceiling of any daemon's puts on this machine, in this run.
 */
async function storageFloor(): Promise<StorageFloor> {
  const args = [path.join(__dirname, 'storage-floor.js'), `keys=${KEYS}`, `seconds=${SECONDS}`];
  return (await runJson(process.execPath, args, 'storage-floor', runTimeoutMs())) as unknown as StorageFloor;
}

// ---- main -----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!fs.existsSync(DRIVER)) throw new Error(`${DRIVER} is missing: run \`sh bench/build-driver.sh\` (npm run bench does)`);
  const date = new Date().toISOString();
  const stamp = date.replace(/[:.]/g, '-');
  process.stderr.write(`bench: ${KEYS} keys, ${BIG} objects in ${GROUPS} groups, ${DAEMONS} daemons, ${SECONDS} s per run after ` +
    `${WARMUP} s, ${REPS} repetitions, ${SMOKE ? 'smoke mode' : 'full'}\n`);

  // First, while nothing else runs on the machine.
  const floor = SYSTEMS.includes('hyperdex') ? await storageFloor() : undefined;
  if (floor)
    process.stderr.write(`bench: storage floor (classic-level alone, ${floor.entries_per_put} entries per put): ${floor.puts_per_s} puts/s ` +
      `at ${floor.batch_puts} per batch, ${floor.cpu_us_per_put} us CPU per put; one put awaited p50 ${floor.latency_p50_us} us; ` +
      `through the daemon's store ${floor.store?.puts_per_s} puts/s, ${floor.store?.cpu_us_per_put} us CPU per put\n`);

  const echo = SYSTEMS.includes('echo') ? await startEcho() : undefined;
  const redis = SYSTEMS.includes('redis') ? await startRedis() : undefined;
  const coord = await startCoordinator(scope);
  const daemons = [];
  for (let i = 0; i < DAEMONS; i++) daemons.push(await startDaemon(scope, coord));
  const daemonPids = daemons.map((d) => d.pid);
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 60_000 });
  try {
    // sec and grp each have a subspace of their own, so that a search on one asks one region.
    await client.add_space(`space kv key k attributes string v, int n, int sec subspace sec create ${PARTITIONS} partitions tolerate 0 failures`);
    await client.add_space(`space big key k attributes string v, int grp subspace grp create ${PARTITIONS} partitions tolerate 0 failures`);
  } finally {
    await client.close();
  }

  const load: Record<string, unknown> = {};
  const loadTimeoutMs = 3_600_000;
  // big first: the daemons' object cache keeps the objects written last, and the key workloads
  // read kv (searches and counts read the index, not the cache). Loaded the other way round, the
  // 1,000,000 objects of big push kv out of the cache and the first get runs read LevelDB.
  const wantsBig = SELECTED.some((w) => w === 'search1000' || w === 'count');
  if (wantsBig) {
    process.stderr.write(`bench: loading ${BIG} objects into big\n`);
    load.hyperdex_big = await driver(['load', 'backend=hyperdex', 'host=127.0.0.1', `port=${coord.port}`, 'space=big', `n=${BIG}`, `groups=${GROUPS}`], loadTimeoutMs);
  }
  process.stderr.write(`bench: loading ${KEYS} objects into kv\n`);
  load.hyperdex_kv = await driver(['load', 'backend=hyperdex', 'host=127.0.0.1', `port=${coord.port}`, 'space=kv', `n=${KEYS}`], loadTimeoutMs);
  if (redis) load.redis_kv = await driver(['load', 'backend=redis', 'host=127.0.0.1', `port=${redis.port}`, `n=${KEYS}`], loadTimeoutMs);
  const rssAfterLoadKb = daemonPids.map(rssKb);
  process.stderr.write(`bench: loaded; daemons resident ${rssAfterLoadKb.map((k) => `${Math.round(k / 1024)} MiB`).join(', ')}\n`);
  // Waits for the daemons to go idle, after the load and before each workload (the writes of the
  // one before may leave LevelDB compacting): each workload starts from a quiet daemon.
  const settles: Record<string, { seconds: number; idle: boolean }> = {};
  const settleBefore = async (what: string) => {
    if (!SYSTEMS.includes('hyperdex')) return;
    const s = (settles[what] = await settle(daemonPids));
    if (s.seconds > 2 * SETTLE_STEP_MS / 1000 || !s.idle) process.stderr.write(`bench: daemons ${s.idle ? 'idle' : 'still busy'} after ${s.seconds} s (${what})\n`);
  };
  await settleBefore('after load');

  if (process.stderr.isTTY) {
    const perShape = (w: string) => (SYSTEMS.includes('hyperdex') ? 1 : 0) + (redis && REDIS_EQUIVALENT[w] ? 1 : 0);
    const total = (echo ? SHAPES.length : 0) + SELECTED.reduce((n, w) => n + perShape(w) * DISTS.length * SHAPES.length, 0);
    measured.progress = new Progress(total, () => measured.last);
  }
  // The limit does not depend on the workload: measured once per shape.
  const limit = new Map<string, Agg | string>();
  if (echo) for (const shape of SHAPES) limit.set(shape.name, await measureReps('echo', echo.port, [echo.pid], 'get', 'uniform', shape));

  const cellOf = (hyperdex?: Agg | string, redis?: Agg | string, lim?: Agg | string): Cell => ({
    hyperdex: typeof hyperdex === 'string' ? undefined : hyperdex,
    redis: typeof redis === 'string' ? undefined : redis,
    limit: typeof lim === 'string' ? undefined : lim,
    errors: [hyperdex, redis, lim].filter((x): x is string => typeof x === 'string'),
  });
  const results: Record<string, Record<string, Record<string, Cell>>> = {};
  const rows: { workload: string; dist: string; shape: string; cell: Cell }[] = [];
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const jsonFile = path.join(RESULTS_DIR, `${stamp}.json`);
  // Written after every measurement (complete: false) and once more at the end: a long run that
  // is interrupted keeps what it measured.
  const record = (complete: boolean, rssAtEndKb: number[] | null) => {
    const json = {
      date,
      smoke: SMOKE,
      complete,
      machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? '', node: process.version, kernel: os.release() },
      config: { keys: KEYS, big_objects: BIG, groups: GROUPS, value_bytes: 100, daemons: DAEMONS, partitions: PARTITIONS,
        seconds: SECONDS, warmup: WARMUP, reps: REPS, dists: DISTS, shapes: SHAPES.map((s) => s.name) },
      redis_equivalent: REDIS_EQUIVALENT,
      load,
      // Seconds waited for the daemons to go idle after the load and before each workload.
      settle: settles,
      daemon_rss_kb: { after_load: rssAfterLoadKb, at_end: rssAtEndKb },
      // classic-level alone with a put's writes, and what that allows the put beside Redis.
      storage_floor: floor ? { ...floor, put_ceiling_vs_redis: putCeiling() } : null,
      // results[workload][dist][shape]: HyperDex's figures at the top level, then redis and limit
      // (null where they do not apply) and the ratios of HyperDex's ops/s to theirs.
      results: Object.fromEntries(Object.entries(results).map(([w, byDist]) => [w, Object.fromEntries(Object.entries(byDist).map(([d, byShape]) =>
        [d, Object.fromEntries(Object.entries(byShape).map(([s, c]) => [s, {
          ...(c.hyperdex ?? {}),
          redis: c.redis ?? null,
          limit: c.limit ? { ops_per_s: c.limit.ops_per_s, p50_us: c.limit.p50_us, p99_us: c.limit.p99_us, p999_us: c.limit.p999_us } : null,
          ratio_vs_redis: ratio(c.hyperdex, c.redis),
          ratio_vs_limit: ratio(c.hyperdex, c.limit),
          ...(c.errors.length ? { failed: c.errors } : {}),
        }]))]))])),
    };
    fs.writeFileSync(jsonFile, JSON.stringify(json, null, 2) + '\n');
  };
  /** The put's best possible ratio to Redis: the storage floor's rate over Redis's at 4x64. */
  const putCeiling = (): Record<string, number | null> => Object.fromEntries(DISTS.map((d) => {
    const redisPut = results.put?.[d]?.['4x64']?.redis;
    return [d, floor && redisPut ? Math.round((floor.puts_per_s / redisPut.ops_per_s) * 100) / 100 : null];
  }));
  for (const workload of SELECTED) {
    results[workload] = {};
    for (const dist of DISTS) {
      results[workload][dist] = {};
      await settleBefore(`${workload} ${dist}`);
      for (const shape of SHAPES) {
        const h = SYSTEMS.includes('hyperdex') ? await measureReps('hyperdex', coord.port, daemonPids, workload, dist, shape) : undefined;
        const r = redis && REDIS_EQUIVALENT[workload] ? await measureReps('redis', redis.port, [redis.pid], workload, dist, shape) : undefined;
        const cell = cellOf(h, r, LIMIT_APPLIES.has(workload) ? limit.get(shape.name) : undefined);
        results[workload][dist][shape.name] = cell;
        rows.push({ workload, dist, shape: shape.name, cell });
        record(false, null);
      }
    }
  }
  measured.progress?.stop(measured.done);
  record(true, daemonPids.map(rssKb));
  process.stdout.write(markdownTable(rows));
  if (floor) {
    const byDist = (f: (d: string) => number | undefined) => Object.fromEntries(DISTS.map((d) => [d, f(d) ?? null]));
    process.stdout.write(floorNote(floor, putCeiling(), byDist((d) => results.put?.[d]?.['4x64']?.hyperdex?.ops_per_s),
      byDist((d) => results.put?.[d]?.['1x1']?.redis?.p50_us), byDist((d) => results.get?.[d]?.['1x1']?.hyperdex?.p50_us)));
  }

  const chartWorkloads = ['get', 'put'].filter((w) => results[w]);
  const svgFile = path.join(RESULTS_DIR, `${stamp}.svg`);
  fs.writeFileSync(svgFile, chartSvg(chartWorkloads.map((w) => ({
    title: `${w} (${DISTS[0]} keys)`,
    groups: SHAPES.map((s) => {
      const c = results[w][DISTS[0]][s.name];
      return { label: s.name, values: [c.hyperdex?.ops_per_s ?? null, c.redis?.ops_per_s ?? null, c.limit?.ops_per_s ?? null] };
    }),
  })), ['HyperDex', 'Redis', 'loopback limit'], `ops/s by shape (connections x in flight), ${date.slice(0, 10)}`));
  process.stdout.write(`\nrecorded in ${path.relative(process.cwd(), jsonFile)} and ${path.relative(process.cwd(), svgFile)}\n`);
}

main()
  .catch((e: Error) => {
    process.stderr.write(`bench: ${e.stack ?? e.message}\n`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
