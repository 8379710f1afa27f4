// The figures of bench/compare.ts: one driver run (Figures), the median and range of a run's
// repetitions (Agg), the ratios, the Markdown table and the lines on the storage floor. Pure
// functions, tested by test/bench-report.test.ts and by test/bench-smoke.test.ts through the output
// they shape.

import type { StorageFloor } from './storage-floor';

export interface Shape {
  readonly name: string;
  readonly conns: number;
  readonly depth: number;
}

/** One run of `hyperdex-bench run`, as it prints it. */
export interface Figures {
  readonly backend: string;
  readonly workload: string;
  readonly ops_per_s: number;
  readonly errors: number;
  readonly results_per_op: number;
  readonly p50_us: number;
  readonly p99_us: number;
  readonly p999_us: number;
  readonly client_cpu_s: number;
  readonly server_cpu_s: number;
  readonly server_rss_kb: number[];
}

/** The repetitions of one measurement: medians of a run's figures, and the range of ops/s. */
export interface Agg extends Omit<Figures, 'backend' | 'workload'> {
  readonly ops_per_s_min: number;
  readonly ops_per_s_max: number;
  /** Resident memory of each server process at the end of the last repetition. */
  readonly server_rss_kb: number[];
  /** Operations that ended in an unexpected status, summed over the repetitions. */
  readonly errors: number;
  readonly reps: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The p-th percentile of sorted values (the value below which p % of them lie). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;

export function aggregate(runs: readonly Figures[]): Agg {
  const ops = runs.map((r) => r.ops_per_s);
  return {
    ops_per_s: Math.round(median(ops)),
    ops_per_s_min: Math.round(Math.min(...ops)),
    ops_per_s_max: Math.round(Math.max(...ops)),
    p50_us: round1(median(runs.map((r) => r.p50_us))),
    p99_us: round1(median(runs.map((r) => r.p99_us))),
    p999_us: round1(median(runs.map((r) => r.p999_us))),
    client_cpu_s: Math.round(median(runs.map((r) => r.client_cpu_s)) * 100) / 100,
    server_cpu_s: Math.round(median(runs.map((r) => r.server_cpu_s)) * 100) / 100,
    server_rss_kb: runs[runs.length - 1].server_rss_kb,
    results_per_op: round1(median(runs.map((r) => r.results_per_op))),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    reps: runs.length,
  };
}

/** HyperDex's ops/s over the other's, to 3 places; null when either is missing. */
export function ratio(ours: Agg | undefined, theirs: Agg | undefined): number | null {
  if (!ours || !theirs || theirs.ops_per_s <= 0) return null;
  return Math.round((ours.ops_per_s / theirs.ops_per_s) * 1000) / 1000;
}

function opsCell(a: Agg | undefined): string {
  if (!a) return 'N/A';
  const range = a.reps > 1 ? ` (${fmtOps(a.ops_per_s_min)}–${fmtOps(a.ops_per_s_max)})` : '';
  return `${fmtOps(a.ops_per_s)}${range}`;
}

function fmtOps(x: number): string {
  return x >= 10_000 ? `${Math.round(x / 1000)}k` : String(Math.round(x));
}

function latCell(a: Agg | undefined): string {
  return a ? `${a.p50_us} / ${a.p99_us} / ${a.p999_us}` : 'N/A';
}

function ratioCell(r: number | null): string {
  return r === null ? 'N/A' : `${r.toFixed(3)}x`;
}

/** One workload, key distribution and shape: each system's figures, and why any failed. */
export interface Cell {
  readonly hyperdex?: Agg;
  readonly redis?: Agg;
  readonly limit?: Agg;
  readonly errors: readonly string[];
}

export interface Row {
  readonly workload: string;
  readonly dist: string;
  readonly shape: string;
  readonly cell: Cell;
}

export const TABLE_HEADER = ['workload', 'keys', 'shape', 'HyperDex ops/s (min–max)', 'HyperDex p50 / p99 / p99.9 µs',
  'CPU s server / client', 'Redis ops/s (min–max)', 'Redis p50 / p99 / p99.9 µs', 'limit ops/s', 'vs Redis', 'vs limit'];

export function markdownTable(rows: readonly Row[]): string {
  const lines = [`| ${TABLE_HEADER.join(' | ')} |`, `|${TABLE_HEADER.map(() => '---').join('|')}|`];
  for (const { workload, dist, shape, cell } of rows) {
    const h = cell.hyperdex;
    const extra = h && (workload === 'search1' || workload === 'search1000' || workload === 'count') ? ` [${h.results_per_op}/op]` : '';
    const errs = h && h.errors ? ` (${h.errors} errors)` : '';
    lines.push(`| ${[
      workload,
      dist,
      shape,
      (h ? opsCell(h) : cell.errors.length ? 'failed' : 'N/A') + extra + errs,
      latCell(h),
      h ? `${h.server_cpu_s} / ${h.client_cpu_s}` : 'N/A',
      opsCell(cell.redis),
      latCell(cell.redis),
      cell.limit ? fmtOps(cell.limit.ops_per_s) : 'N/A',
      ratioCell(ratio(h, cell.redis)),
      ratioCell(ratio(h, cell.limit)),
    ].join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

/** What the storage floor (bench/storage-floor.ts) measured, less its run's settings. */
export type FloorSummary = Omit<StorageFloor, 'keys' | 'seconds'>;

/**
 * Lines under the table: the floor, the best ratio to Redis it allows the put at 4x64 (per key
 * distribution, null where Redis's put was not measured), how much of it HyperDex reached, and
 * the floor's latency beside 1.5x Redis's put at 1x1 (the latency target): a put's round trip
 * cannot be shorter than a get's plus the storage's write.
 */
export function floorNote(floor: FloorSummary, ceiling: Record<string, number | null>, hyperdexPut: Record<string, number | null>,
  redisPutP50: Record<string, number | null>, hyperdexGetP50: Record<string, number | null>): string {
  const withTrip = Object.fromEntries(Object.entries(hyperdexGetP50).map(([d, g]) => [d, g === null ? null : g + floor.latency_p50_us]));
  const per = (m: Record<string, number | null>, fmt: (x: number) => string) =>
    Object.entries(m).map(([d, x]) => `${x === null ? 'N/A' : fmt(x)} (${d})`).join(', ');
  return `\nStorage floor: classic-level alone, no network, ${floor.entries_per_put} LevelDB entries per put (kv's): ` +
    `${fmtOps(floor.puts_per_s)} puts/s at ${floor.batch_puts} per batch, ${floor.cpu_us_per_put} µs CPU per put; ` +
    `one put awaited: p50 ${floor.latency_p50_us} µs, p99 ${floor.latency_p99_us} µs.\n` +
    (floor.store ? `The same puts through the daemon's store (LevelDaemonStore), no network: ${fmtOps(floor.store.puts_per_s)} puts/s, ` +
      `${floor.store.cpu_us_per_put} µs CPU per put.\n` : '') +
    `Best put ratio to Redis that this floor allows at 4x64: ${per(ceiling, (x) => `${x.toFixed(2)}x`)}. ` +
    `HyperDex's put at 4x64 reached ${per(hyperdexPut, (x) => `${Math.round((x / floor.puts_per_s) * 100)}%`)} of the floor.\n` +
    `1.5x Redis's put p50 at 1x1, round trip included: ${per(redisPutP50, (x) => `${round1(x * 1.5)} µs`)}; ` +
    `the storage floor alone takes ${floor.latency_p50_us} µs, and with HyperDex's get round trip at 1x1 added ` +
    `${per(withTrip, (x) => `${round1(x)} µs`)}.\n`;
}
