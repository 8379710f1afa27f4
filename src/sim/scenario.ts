// One simulated history from a seed: a cluster starts, clients run random operations while faults
// are injected (crashes and restarts, partitions, lost, duplicated and late messages), a daemon
// joins (regions move to it), a second space comes and goes; then every fault heals, the cluster
// settles and every key is read back. The history then goes through the checkers.

import { regionOf } from '../common/config';
import { parseSpaceDescription } from '../common/schema-parser';
import { Faults } from './world';
import { World } from './world';
import { allKeys, HistoryOp, randomOperation, runGroupDel, runKeyOperation, runSearch, SPACE } from './workload';

export interface ScenarioOptions {
  readonly seed: number;
  readonly daemons: number;
  /** Operations per client. */
  readonly ops: number;
  readonly clients: number;
  readonly faults: Faults;
  readonly trace?: boolean;
}

export interface ScenarioResult {
  readonly seed: number;
  readonly world: World;
  readonly history: HistoryOp[];
  readonly searches: HistoryOp[];
  /** Operations that ended (with or without a known outcome). */
  readonly operations: number;
  readonly ticks: number;
  /** Why the run itself failed (an invariant, or operations that never ended), if it did. */
  readonly failure?: string;
}

/** Ticks a run may last at most, so that a stuck cluster fails the run instead of spinning. */
const TICKS_MAX = 200_000;
/** Ticks the cluster gets to settle after the faults stop. */
const SETTLE_TICKS_MAX = 5_000;

export function runScenario(o: ScenarioOptions): ScenarioResult {
  const w = new World(o.seed, o.faults, o.trace);
  for (let i = 0; i < o.daemons; i++) w.addDaemon();
  w.runUntil(10);
  w.addSpace(SPACE);
  const history: HistoryOp[] = [];
  const searches: HistoryOp[] = [];
  const clients = Array.from({ length: o.clients }, () => w.addClient());
  w.runUntil(w.now + 10);
  // The space as the coordinator made it (its request arrived within delayMax ticks).
  const space = w.spaceNamed(parseSpaceDescription(SPACE).name);
  if (!space) return { seed: o.seed, world: w, history, searches, operations: 0, ticks: w.now, failure: w.failure?.stack ?? `the space was not added within 10 ticks` };

  let running = clients.length;
  let operations = 0;
  const next = (c: (typeof clients)[number], left: number) => {
    if (left === 0) {
      running--;
      return;
    }
    const after = () => {
      operations++;
      w.at(w.rng.between(0, 3), () => next(c, left - 1));
    };
    const request = randomOperation(w, space);
    if (request.kind === 'search' || request.kind === 'count') runSearch(w, c, request, searches, after);
    else if (request.kind === 'group-del') runGroupDel(w, c, request, history, after);
    else runKeyOperation(w, c, request, history, after);
  };
  for (const c of clients) next(c, o.ops);

  // Membership changes at moments the seed picks: a daemon joins, a space comes and goes.
  const span = o.ops * 8;
  w.at(w.rng.between(1, span), () => {
    w.addDaemon();
    w.faultCounts.joins++;
  });
  const extra = 'space tmp key k attributes int n subspace n create 2 partitions tolerate 0 failures';
  w.at(w.rng.between(1, span), () => {
    w.addSpace(extra);
    w.at(w.rng.between(5, 50), () => w.rmSpace('tmp'));
  });

  const faultTick = () => {
    if (running === 0) return;
    w.injectFaults();
    w.at(1, faultTick);
  };
  w.at(1, faultTick);
  while (running > 0 && !w.failure && w.now < TICKS_MAX) w.runUntil(w.now + 100);
  if (w.failure) return { seed: o.seed, world: w, history, searches, operations, ticks: w.now, failure: w.failure.stack ?? w.failure.message };
  if (running > 0) return { seed: o.seed, world: w, history, searches, operations, ticks: w.now, failure: `${running} clients still running after ${TICKS_MAX} ticks` };

  // Heal, settle, then read every key back: no acknowledged write may be missing.
  w.heal();
  const settleUntil = w.now + SETTLE_TICKS_MAX;
  while (!w.failure && w.now < settleUntil && (w.busy() > 0 || w.now < settleUntil - SETTLE_TICKS_MAX + 50)) w.runUntil(w.now + 10);
  if (!w.failure && w.busy() > 0) return { seed: o.seed, world: w, history, searches, operations, ticks: w.now, failure: `the cluster is still busy ${SETTLE_TICKS_MAX} ticks after the faults ended (${w.busy()} pieces of work)` };
  let reads = 0;
  const reader = clients[0];
  for (const key of allKeys()) {
    runKeyOperation(w, reader, { kind: 'get', configVersion: 0, spaceId: space.id, key }, history, () => reads++);
    w.runUntil(w.now + 200);
  }
  if (!w.failure && reads !== allKeys().length) return { seed: o.seed, world: w, history, searches, operations, ticks: w.now, failure: `final reads did not finish (${reads} of ${allKeys().length})` };
  const failed = history.slice(-allKeys().length).find((op) => op.ret === undefined);
  if (!w.failure && failed) return { seed: o.seed, world: w, history, searches, operations, ticks: w.now, failure: `a final read of ${failed.request.kind === 'get' ? failed.request.key.toString() : '?'} got no answer on a healed cluster` };
  const broken = w.failure as Error | undefined;
  const finals = new Map<string, readonly Buffer[] | null>();
  for (const op of history.slice(-allKeys().length))
    if (op.request.kind === 'get' && op.reply?.kind === 'get') finals.set(op.request.key.toString('latin1'), op.reply.values ?? null);
  const misplaced = broken ? undefined : secondaryRegionsDisagree(w, space.name, finals);
  const failure = broken ? (broken.stack ?? broken.message) : misplaced;
  return { seed: o.seed, world: w, history, searches, operations: operations + reads, ticks: w.now, failure };
}

/**
 * On a settled cluster, every secondary region's head holds exactly the objects whose final values
 * (as read back) map into that region, with those values: no copy left behind by a move between
 * regions, no stale values, none missing. What searches would see once the cluster is quiet.
 */
function secondaryRegionsDisagree(w: World, spaceName: string, finals: ReadonlyMap<string, readonly Buffer[] | null>): string | undefined {
  const space = w.spaceNamed(spaceName);
  if (!space) return undefined;
  const same = (a: readonly Buffer[], b: readonly Buffer[]) => a.length === b.length && a.every((v, i) => v.equals(b[i]));
  for (let i = 1; i < space.subspaces.length; i++) {
    for (const region of space.subspaces[i].regions) {
      const head = region.replicas[0];
      const disk = head === undefined ? undefined : w.daemons.get(head)?.disk;
      if (!disk) continue;
      const held = new Map(disk.scan(region.id).filter(([, r]) => r.values !== null).map(([k, r]) => [k.toString('latin1'), r.values!] as const));
      for (const [key, values] of held) {
        const final = finals.get(key);
        if (final === undefined) continue; // not read back (another space's key)
        if (final === null) return `subspace ${i} region ${region.id} (server ${head}) still holds key ${JSON.stringify(key)}, which was deleted`;
        if (regionOf(space, i, Buffer.from(key, 'latin1'), final).id !== region.id) return `subspace ${i} region ${region.id} (server ${head}) still holds key ${JSON.stringify(key)}, which moved to another region`;
        if (!same(values, final)) return `subspace ${i} region ${region.id} (server ${head}) holds stale values of key ${JSON.stringify(key)}`;
      }
      for (const [key, final] of finals)
        if (final && regionOf(space, i, Buffer.from(key, 'latin1'), final).id === region.id && !held.has(key))
          return `subspace ${i} region ${region.id} (server ${head}) is missing key ${JSON.stringify(key)}`;
    }
  }
  return undefined;
}
