// `npm run simulate -- [--seeds N] [--seed S] [--daemons D] [--ops N] [--clients C] [--trace]`:
// runs seeded histories of the whole cluster under faults and checks each one. Exit 0 when every
// seed passed, 1 when one failed (with the command that replays it), 2 for bad arguments.

import { parseArgs } from 'node:util';
import { parseSpaceDescription } from '../common/schema-parser';
import { checkHistory } from './check';
import { runScenario, ScenarioOptions } from './scenario';
import { DEFAULT_FAULTS, FaultCounts, NO_FAULT_COUNTS } from './world';
import { SPACE } from './workload';

const HELP = `usage: npm run simulate -- [options]

Runs whole-cluster histories in one process (coordinator state machine, daemon cores on simulated
disks, clients, a network that delays, reorders, duplicates, drops and partitions, daemons that
crash and restart or freeze and resume, the coordinator failing daemons it stops hearing from, a
daemon joining, a space added and removed) and checks every history: each key linearizable,
nothing acknowledged lost, searches and counts consistent with the history.

  --seeds N     how many seeds to run, from --seed on (default 100)
  --seed S      the first seed (default 1)
  --daemons D   daemons at the start (default 3; one more joins during the run)
  --ops N       operations per client (default 60)
  --clients C   concurrent clients (default 4)
  --trace       print the failing seed's event trace
  -h, --help    this text`;

export interface Summary {
  seeds: number;
  failures: number;
  operations: number;
  faults: FaultCounts;
  firstFailure?: { seed: number; problem: string; trace?: string[] };
}

/** Runs and checks one seed; the problem found, if any. */
export function simulateSeed(o: ScenarioOptions): { problem?: string; operations: number; faults: Summary['faults']; trace?: string[] } {
  const r = runScenario(o);
  const faults = { ...r.world.faultCounts };
  if (r.failure) return { problem: r.failure, operations: r.operations, faults, trace: r.world.trace };
  const c = checkHistory(parseSpaceDescription(SPACE), r.history, r.searches);
  return { problem: c.ok ? undefined : c.problem, operations: r.operations, faults, trace: r.world.trace };
}

export function simulateMany(first: number, count: number, base: Omit<ScenarioOptions, 'seed'>, progress?: (done: number, s: Summary) => void): Summary {
  const s: Summary = { seeds: 0, failures: 0, operations: 0, faults: { ...NO_FAULT_COUNTS } };
  for (let seed = first; seed < first + count; seed++) {
    const r = simulateSeed({ ...base, seed });
    s.seeds++;
    s.operations += r.operations;
    for (const k of Object.keys(s.faults) as (keyof Summary['faults'])[]) s.faults[k] += r.faults[k];
    if (r.problem) {
      s.failures++;
      s.firstFailure ??= { seed, problem: r.problem, trace: r.trace };
    }
    progress?.(s.seeds, s);
  }
  return s;
}

export function replayCommand(seed: number, base: Omit<ScenarioOptions, 'seed'>): string {
  return `npm run simulate -- --seed ${seed} --seeds 1 --daemons ${base.daemons} --ops ${base.ops} --clients ${base.clients}`;
}

function positive(name: string, v: string | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} takes a whole number of at least ${min}, not '${v}'`);
  return n;
}

function main(argv: string[]): number {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        seeds: { type: 'string' },
        seed: { type: 'string' },
        daemons: { type: 'string' },
        ops: { type: 'string' },
        clients: { type: 'string' },
        trace: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`simulate: ${(e as Error).message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  let seeds: number, first: number, base: Omit<ScenarioOptions, 'seed'>;
  try {
    seeds = positive('seeds', args.seeds, 100);
    first = positive('seed', args.seed, 1, 0);
    base = { daemons: positive('daemons', args.daemons, 3), ops: positive('ops', args.ops, 60), clients: positive('clients', args.clients, 4), faults: DEFAULT_FAULTS, trace: args.trace ?? false };
  } catch (e) {
    process.stderr.write(`simulate: ${(e as Error).message}\n`);
    return 2;
  }
  const started = process.hrtime.bigint();
  const tty = process.stderr.isTTY;
  let lastPrint = 0;
  const summary = simulateMany(first, seeds, base, (done, s) => {
    const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
    if (done === seeds || ms - lastPrint >= (tty ? 200 : 5000)) {
      lastPrint = ms;
      const line = `seeds ${done}/${seeds}, operations ${s.operations}, failures ${s.failures}`;
      process.stderr.write(tty ? `\r${line}` : `${line}\n`);
    }
  });
  if (tty) process.stderr.write('\n');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const f = summary.faults;
  process.stdout.write(
    `${summary.seeds} seeds, ${summary.operations} operations, ${summary.failures} failed in ${seconds.toFixed(1)} s ` +
      `(${Math.round((summary.seeds / seconds) * 60)} seeds/min, ${Math.round(summary.operations / seconds)} operations/s)\n` +
      `faults: ${f.dropped} messages dropped, ${f.duplicated} duplicated, ${f.crashes} crashes, ${f.restarts} restarts, ${f.freezes} freezes, ${f.partitions} partitions, ${f.joins} joins, ${f.slowWrites} slow disk writes; ${f.failed} servers failed by the coordinator\n`,
  );
  if (summary.firstFailure) {
    const { seed, problem, trace } = summary.firstFailure;
    process.stdout.write(`seed ${seed} failed: ${problem}\nreplay: ${replayCommand(seed, base)}\n`);
    if (base.trace && trace) process.stdout.write(trace.join('\n') + '\n');
    return 1;
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
