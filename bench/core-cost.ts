// The daemon core's own cost per operation, with no I/O: gets and puts of the perf harness's space
// (key k, a 100-byte string v, 8 partitions) stepped through DaemonCore on the simulator's disk,
// in turns of TURN requests as the shell hands them over (one step for a read's requests, one for
// the batch's completion). It prints µs of CPU per operation for each: what the core adds to a
// daemon's work, to compare across changes on a noisy machine.
//
//   node dist/bench/core-cost.js [--keys N] [--ops N] [--turn N]

import { parseArgs } from 'node:util';
import { Datatype } from '../src/common/datatypes';
import { FuncOp } from '../src/common/protocol';
import { parseSpaceDescription } from '../src/common/schema-parser';
import { addSpace, INITIAL_STATE, registerServer } from '../src/coordinator/state';
import { DaemonCore } from '../src/daemon/core/core';
import { CoreEvent, Ready } from '../src/daemon/core/types';
import { SimDisk } from '../src/sim/disk';

const HELP = `usage: node dist/bench/core-cost.js [--keys N] [--ops N] [--turn N]

The daemon core's CPU per get and per put, with no I/O (see the comment at the top of bench/core-cost.ts).
  --keys N   keys loaded first (default 100000)
  --ops N    operations measured per kind (default 500000)
  --turn N   requests handed to the core per step (default 64)
`;

function options(): { keys: number; ops: number; turn: number } {
  const { values } = parseArgs({ options: { keys: { type: 'string' }, ops: { type: 'string' }, turn: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, fallback: number, max: number) => {
    const v = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`--${name} ${raw}: want a whole number from 1 to ${max}`);
    return v;
  };
  return { keys: int('keys', values.keys, 100_000, 10_000_000), ops: int('ops', values.ops, 500_000, 100_000_000), turn: int('turn', values.turn, 64, 65_536) };
}

function main(): void {
  const { keys, ops, turn } = options();
  const { state } = registerServer(INITIAL_STATE, 'token-1', '127.0.0.1', 2012, Buffer.alloc(32, 1));
  const added = addSpace(state, parseSpaceDescription('space bench key k attributes v create 8 partitions tolerate 0 failures'));
  if (!added.ok) throw new Error(added.reason);
  const config = added.state.config;
  const spaceId = config.spaces[0].id;
  const disk = new SimDisk();
  const core = new DaemonCore({ serverId: 1, incarnation: 1, store: disk });
  let replies = 0;
  /** Carries out a Ready as a shell would, with every batch written at once: one step for the completions. */
  const run = (r: Ready): void => {
    replies += r.replies.length;
    if (r.persist.length === 0 && r.loads.length === 0) return;
    const later: CoreEvent[] = [];
    for (const p of r.persist) {
      disk.begin(p.token, p.writes);
      disk.complete(p.token);
      later.push({ type: 'persisted', token: p.token, ok: true });
    }
    for (const l of r.loads) later.push({ type: 'loaded', token: l.token, record: disk.read(l.region, l.key) });
    run(core.stepAll(later));
  };
  run(core.step({ type: 'config', config }));
  const keyOf = (i: number) => Buffer.from(`key${i % keys}`);
  const value = Buffer.alloc(100, 'x');
  const put = (i: number): CoreEvent => ({
    type: 'request',
    client: i,
    requestId: i,
    request: { kind: 'write', configVersion: config.version, spaceId, key: keyOf(i), flags: 0, checks: [], funcs: [{ name: 'v', datatype: Datatype.STRING, value, op: FuncOp.SET }] },
  });
  const get = (i: number): CoreEvent => ({ type: 'request', client: i, requestId: i, request: { kind: 'get', configVersion: config.version, spaceId, key: keyOf(i) } });
  const drive = (make: (i: number) => CoreEvent, n: number, offset: number): number => {
    const start = process.cpuUsage();
    const before = replies;
    for (let i = 0; i < n; i += turn) {
      const events: CoreEvent[] = [];
      for (let j = i; j < Math.min(n, i + turn); j++) events.push(make(offset + j * 7919));
      run(core.stepAll(events));
    }
    if (replies - before !== n) throw new Error(`${n} requests, ${replies - before} replies`);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / n;
  };
  drive(put, keys, 0); // load every key (each i*7919 mod keys, for keys prime to 7919)
  const out: Record<string, number> = {};
  for (const [name, make] of [['get', get], ['put', put]] as const) {
    drive(make, Math.min(ops, 50_000), 1); // warm up
    out[`${name}_us_per_op`] = Number(drive(make, ops, 3).toFixed(3));
  }
  process.stdout.write(JSON.stringify({ keys, ops, turn, ...out }) + '\n');
}

main();
