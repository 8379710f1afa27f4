// Daemons joining a loaded cluster. A coordinator and three daemons hold a space with a secondary
// subspace and 20,000 objects; then two more daemons start while a writer keeps putting, updating
// and deleting, and while searches run. The coordinator moves regions to the new daemons by state
// transfer. Every write the writer saw acknowledged is kept in an oracle here; a write that failed
// (only RECONFIGURE or TIMEOUT are acceptable while regions move) leaves its key in an unknown
// state, and the key is left alone from then on and excluded from the exact checks.
//
// During the moves, searches must be exact for the keys nobody writes (and never return an object
// twice). Once no region moves any more (waited for, bounded, on the client's configuration): every
// acknowledged object reads back with its last acknowledged value, search({}) returns every live
// object once, equality searches on the secondary attribute match the oracle, and in every subspace
// no daemon heads more than one region above the mean, the new daemons included.

import test from 'ava';
import * as crypto from 'node:crypto';
import { Client, encodeKey, HyperClientError, HyperObject } from '../src/client/client';
import { ClusterConfig, findSpace, keyRegion, SpaceLayout } from '../src/common/config';
import { CoordinatorProc, SharedScope, startCoordinator, startDaemon } from './helpers/cluster';
import { Rng } from './helpers/rng';

const SEED = process.env.HYPERDEX_JOIN_SEED !== undefined ? Number(process.env.HYPERDEX_JOIN_SEED) >>> 0 : crypto.randomBytes(4).readUInt32LE(0);
const OBJECTS = 20_000;
const IN_FLIGHT_MAX = 256;
/** Keys the writer works on: existing ones, and as many new ones that it may create. */
const WRITTEN_EXISTING = 3000;
const WRITTEN_NEW = 1500;
const WRITERS = 32;
const WRITER_OPS_MAX = 400_000;
const WRITER_MS_MAX = 90_000;
/** How long the writer runs before the daemons are started, and after the moves ended. */
const WRITER_LEAD_MS = 1000;
const WRITER_TAIL_MS = 1000;
const SETTLE_MS_MAX = 60_000;
const SEARCHES_DURING_MAX = 200;
const SEARCH_DEADLINE_MS = 30_000;
const GROUPS = 40;
const SPACE = 'joined';
const ACCEPTABLE_FAILURES = new Set(['RECONFIGURE', 'TIMEOUT']);

const scope = new SharedScope();
let coordinator: CoordinatorProc;
let writer: Client;
let reader: Client;
const firstDaemons: number[] = [];

// ---- data and oracle ----------------------------------------------------------------------------------


interface Obj {
  readonly grp: string;
  readonly n: bigint;
  readonly w: number;
}
const DEFAULT: Obj = { grp: '', n: 0n, w: 0 };

const rng = new Rng(SEED);
const randomObj = (): Obj => ({ grp: `g${rng.int(GROUPS)}`, n: BigInt(rng.int(2_000_001) - 1_000_000), w: (rng.int(20_001) - 10_000) / 8 });

/** Key -> the last acknowledged state: the object, or null for none. */
const oracle = new Map<string, Obj | null>();
/** Keys whose state is unknown: a write to them failed. */
const unknown = new Set<string>();
/** Keys the writer may touch; the others do not change after the initial load. */
const written = new Set<string>();

const keyName = (i: number) => `k${String(i).padStart(6, '0')}`;

function showObj(key: string, o: Obj): string {
  return `${key} grp=${o.grp} n=${o.n} w=${Object.is(o.w, -0) ? '-0' : o.w}`;
}

/** An object as the client returned it, in the same form; anything odd shows. */
function showGot(o: HyperObject): string {
  const extra = Object.keys(o).filter((k) => !['k', 'grp', 'n', 'w'].includes(k));
  const n = typeof o.n === 'bigint' || typeof o.n === 'number' ? BigInt(o.n) : `bad ${String(o.n)}`;
  const w = typeof o.w === 'number' ? (Object.is(o.w, -0) ? '-0' : String(o.w)) : `bad ${String(o.w)}`;
  return `${String(o.k)} grp=${String(o.grp)} n=${n} w=${w}${extra.length > 0 ? ` extra ${extra.join(',')}` : ''}`;
}

async function pool<T>(items: readonly T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function collect(it: AsyncIterable<HyperObject>): Promise<HyperObject[]> {
  const out: HyperObject[] = [];
  const deadline = Date.now() + SEARCH_DEADLINE_MS;
  for await (const o of it) {
    out.push(o);
    if (out.length > 10 * OBJECTS || Date.now() > deadline) throw new Error('search did not end');
  }
  return out;
}

function configOf(c: Client): ClusterConfig {
  return (c as unknown as { config: ClusterConfig }).config;
}

function layoutOf(c: Client): SpaceLayout {
  const layout = findSpace(configOf(c), SPACE);
  if (!layout) throw new Error(`no space ${SPACE} in the client's configuration`);
  return layout;
}

const moving = (layout: SpaceLayout) => layout.subspaces.flatMap((ss) => ss.regions).filter((r) => r.moving !== undefined).length;

function describeLayout(layout: SpaceLayout): string {
  return layout.subspaces
    .map((ss, i) => `subspace ${i} (${ss.attributes.join(',')}): ${ss.regions.map((r) => `${r.id}@${r.replicas[0] ?? '-'}${r.moving !== undefined ? `->${r.moving}` : ''}`).join(' ')}`)
    .join('\n');
}

/**
 * Compares search results with the oracle for the keys in `exact` (each must be there exactly when
 * the oracle has it matching, with its values); no key may come twice, and no key outside the
 * oracle may appear. Returns the problems found.
 */
function compareResults(label: string, got: readonly HyperObject[], matches: (o: Obj) => boolean, exact: (key: string) => boolean, where: (key: string) => string = () => ''): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const o of got) {
    const key = String(o.k);
    if (seen.has(key)) problems.push(`${label}: ${key} twice`);
    seen.set(key, showGot(o));
  }
  for (const [key, shown] of seen) {
    if (!oracle.has(key) && !written.has(key)) problems.push(`${label}: ${key} was never written`);
    else if (exact(key)) {
      const want = oracle.get(key);
      if (!want || !matches(want)) problems.push(`${label}: ${shown} unexpected (the oracle has ${want ? showObj(key, want) : 'no object'})`);
      else if (shown !== showObj(key, want)) problems.push(`${label}: ${shown}, expected ${showObj(key, want)}`);
    }
  }
  for (const [key, want] of oracle) if (want && exact(key) && matches(want) && !seen.has(key)) problems.push(`${label}: ${showObj(key, want)} missing${where(key)}`);
  return problems;
}

/**
 * Where a key lives, for the reports: its key region, and the heads that region had in every
 * configuration the reader saw (a -> b marks a move).
 */
const headHistory = new Map<number, string[]>();
function recordHeads(): void {
  const layout = layoutOf(reader);
  for (const ss of layout.subspaces)
    for (const r of ss.regions) {
      const now = `${r.replicas[0] ?? '-'}${r.moving !== undefined ? `->${r.moving}` : ''}`;
      const h = headHistory.get(r.id) ?? [];
      if (h[h.length - 1] !== now) h.push(now);
      headHistory.set(r.id, h);
    }
}
function whereKey(key: string): string {
  const layout = layoutOf(reader);
  const r = keyRegion(layout, encodeKey(layout.spec, key));
  return ` (key region ${r.id}, heads seen: ${(headHistory.get(r.id) ?? []).join(', ')})`;
}

// ---- the writer ----------------------------------------------------------------------------------------

interface WriterStats {
  ops: number;
  puts: number;
  dels: number;
  failed: Map<string, number>;
  unexpected: string[];
}

/** Puts, partial puts and deletes on the written keys, one operation at a time per key, until told to stop (bounded). */
function startWriter(stop: { now: boolean }): { done: Promise<void>; stats: WriterStats } {
  const stats: WriterStats = { ops: 0, puts: 0, dels: 0, failed: new Map(), unexpected: [] };
  const keys = [...written];
  const busy = new Set<string>();
  const deadline = Date.now() + WRITER_MS_MAX;
  const one = async (): Promise<void> => {
    let key: string | undefined;
    for (let tries = 0; tries < 20 && key === undefined; tries++) {
      const k = keys[rng.int(keys.length)];
      if (!busy.has(k) && !unknown.has(k)) key = k;
    }
    if (key === undefined) {
      // Every key drawn was busy or unknown: yield to the event loop rather than spin.
      await new Promise((r) => setTimeout(r, 10));
      return;
    }
    busy.add(key);
    const before = oracle.get(key) ?? null;
    const r = rng.int(100);
    try {
      if (r < 15) {
        const existed = await writer.del(SPACE, key);
        stats.dels++;
        if (existed !== (before !== null)) stats.unexpected.push(`del ${key} returned ${existed}, but the last acknowledged state was ${before ? showObj(key, before) : 'no object'}`);
        oracle.set(key, null);
      } else {
        // A whole new object, or only its secondary attribute (which moves it between regions), or only n.
        const fresh = randomObj();
        const attrs: Partial<Obj> = r < 60 ? fresh : r < 85 ? { grp: fresh.grp } : { n: fresh.n };
        const ok = await writer.put(SPACE, key, attrs as Record<string, string | bigint | number>);
        stats.puts++;
        if (ok !== true) stats.unexpected.push(`put ${key} returned ${ok}`);
        oracle.set(key, { ...(before ?? DEFAULT), ...attrs });
      }
    } catch (e) {
      unknown.add(key);
      const name = e instanceof HyperClientError ? e.statusName : `${(e as Error).name}`;
      stats.failed.set(name, (stats.failed.get(name) ?? 0) + 1);
      if (!ACCEPTABLE_FAILURES.has(name)) stats.unexpected.push(`a write to ${key} failed: ${(e as Error).message}`);
    } finally {
      busy.delete(key);
      stats.ops++;
    }
  };
  const worker = async () => {
    while (!stop.now && stats.ops < WRITER_OPS_MAX && Date.now() < deadline) await one();
  };
  return { done: Promise.all(Array.from({ length: WRITERS }, worker)).then(() => undefined), stats };
}

// ---- setup ----------------------------------------------------------------------------------------------

test.before(async (t) => {
  t.log(`seed ${SEED} (HYPERDEX_JOIN_SEED=${SEED}; the timing of the moves is not replayed)`);
  const coord = await startCoordinator(scope);
  coordinator = coord;
  for (let i = 0; i < 3; i++) firstDaemons.push((await startDaemon(scope, coord)).serverId);
  writer = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 15_000 });
  reader = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 15_000 });
  await writer.addSpace(`space ${SPACE} key k attributes string grp, int64 n, float w subspace grp create 16 partitions tolerate 1 failures`);
  const started = Date.now();
  const indices = Array.from({ length: OBJECTS }, (_, i) => i);
  await pool(indices, IN_FLIGHT_MAX, async (i) => {
    const key = keyName(i);
    const o = randomObj();
    if (!(await writer.put(SPACE, key, { ...o }))) throw new Error(`put ${key} returned false`);
    oracle.set(key, o);
  });
  for (let i = 0; i < WRITTEN_EXISTING; i++) written.add(keyName(i * Math.floor(OBJECTS / WRITTEN_EXISTING)));
  for (let i = 0; i < WRITTEN_NEW; i++) written.add(keyName(OBJECTS + i));
  t.log(`${OBJECTS} objects written in ${Date.now() - started} ms`);
});

test.after.always(async () => {
  await writer?.close();
  await reader?.close();
  await scope.close();
});

// ---- the test ---------------------------------------------------------------------------------------------

test.serial('two daemons join under load: regions move to them, and no acknowledged write is lost', async (t) => {
  t.timeout(170_000);
  const layout0 = layoutOf(reader);
  t.is(moving(layout0), 0, 'nothing moves before the new daemons come');
  t.deepEqual(new Set(layout0.subspaces.flatMap((ss) => ss.regions.map((r) => r.replicas[0]))), new Set(firstDaemons));

  const stop = { now: false };
  const { done: writerDone, stats } = startWriter(stop);

  // Searches all along the moves: exact for the keys nobody writes, never an object twice.
  const searching = { now: true };
  const during = { searches: 0, whileMoving: 0, problems: [] as string[] };
  const stable = (key: string) => !written.has(key);
  // Two loops: one alternates search({}) with equality searches on the secondary attribute, the
  // other runs search({}) only.
  const searchLoop = async (loop: number) => {
    for (let i = 0; searching.now && i < SEARCHES_DURING_MAX; i++) {
      recordHeads();
      const movingBefore = moving(layoutOf(reader));
      const versionBefore = configOf(reader).version;
      const grp = `g${i % GROUPS}`;
      const byGroup = loop === 0 && i % 3 !== 0;
      try {
        const got = await collect(reader.search(SPACE, byGroup ? { grp } : {}));
        recordHeads();
        during.problems.push(...compareResults(`search ${byGroup ? `{grp: ${grp}}` : '{}'} during the moves (loop ${loop} search ${i}, configuration ${versionBefore} to ${configOf(reader).version})`, got, (o) => !byGroup || o.grp === grp, stable, byGroup ? undefined : whereKey));
      } catch (e) {
        during.problems.push(`search during the moves failed: ${(e as Error).message}`);
      }
      during.searches++;
      if (movingBefore > 0 || moving(layoutOf(reader)) > 0 || configOf(reader).version !== versionBefore) during.whileMoving++;
    }
  };
  const searchLoops = Promise.all([searchLoop(0), searchLoop(1)]);

  await new Promise((r) => setTimeout(r, WRITER_LEAD_MS));
  const joined = [(await startDaemon(scope, coordinator)).serverId, (await startDaemon(scope, coordinator)).serverId];
  const all = new Set([...firstDaemons, ...joined]);

  // Wait (bounded) until no region moves and every region is headed by one of the five, the new ones included.
  const settled = () => {
    const layout = layoutOf(reader);
    if (moving(layout) > 0) return false;
    const heads = layout.subspaces.flatMap((ss) => ss.regions.map((r) => r.replicas[0]));
    return heads.every((h) => h !== undefined && all.has(h)) && joined.every((j) => heads.includes(j));
  };
  const waitStart = Date.now();
  while (!settled() && Date.now() - waitStart < SETTLE_MS_MAX) {
    recordHeads();
    await new Promise((r) => setTimeout(r, 20));
  }
  const settledMs = Date.now() - waitStart;
  t.true(settled(), `the moves end within ${SETTLE_MS_MAX} ms; the layout now:\n${describeLayout(layoutOf(reader))}`);

  await new Promise((r) => setTimeout(r, WRITER_TAIL_MS));
  stop.now = true;
  searching.now = false;
  await writerDone;
  await searchLoops;

  const failures = [...stats.failed].map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  t.log(`moves done ${settledMs} ms after the daemons started; writer: ${stats.ops} operations (${stats.puts} puts, ${stats.dels} deletes acknowledged), failed writes: ${failures}`);
  t.log(`${during.searches} searches during the run, ${during.whileMoving} of them while regions moved`);
  t.deepEqual(stats.unexpected.slice(0, 20), [], `${stats.unexpected.length} unexpected write results (acceptable failures: ${[...ACCEPTABLE_FAILURES].join(', ')})`);
  t.deepEqual(during.problems.slice(0, 20), [], `${during.problems.length} problems with searches during the moves`);
  t.true(during.searches > 0);

  // Every acknowledged object reads back as last acknowledged; deleted ones are gone.
  const known = [...oracle.keys()].filter((k) => !unknown.has(k));
  const getProblems: string[] = [];
  await pool(known, IN_FLIGHT_MAX, async (key) => {
    const want = oracle.get(key)!;
    try {
      const got = await reader.get(SPACE, key);
      const shown = got === null ? 'no object' : showGot({ ...got, k: key });
      const expected = want === null ? 'no object' : showObj(key, want);
      if (shown !== expected) getProblems.push(`get ${key}: ${shown}, expected ${expected}`);
    } catch (e) {
      getProblems.push(`get ${key} failed: ${(e as Error).message}`);
    }
  });
  t.deepEqual(getProblems.slice(0, 20), [], `${getProblems.length} of ${known.length} gets differ from the oracle`);

  // search({}): every live object once.
  const isKnown = (key: string) => !unknown.has(key);
  const everything = await collect(reader.search(SPACE, {}));
  const problems = compareResults('search {}', everything, () => true, isKnown);
  t.deepEqual(problems.slice(0, 20), [], `${problems.length} problems with search({})`);
  const live = [...oracle.entries()].filter(([k, o]) => o !== null && isKnown(k)).length;
  t.log(`${everything.length} objects found by search({}); ${live} known live, ${unknown.size} keys of unknown state`);

  // Equality on the secondary attribute.
  for (let g = 0; g < GROUPS; g++) {
    const grp = `g${g}`;
    const got = await collect(reader.search(SPACE, { grp }));
    const p = compareResults(`search {grp: ${grp}}`, got, (o) => o.grp === grp, isKnown);
    t.deepEqual(p.slice(0, 10), [], `${p.length} problems with search({grp: ${grp}})`);
  }
  const defaults = await collect(reader.search(SPACE, { grp: '' }));
  t.deepEqual(compareResults("search {grp: ''}", defaults, (o) => o.grp === '', isKnown).slice(0, 10), [], 'objects created by a put of n only');

  // Balance: per subspace, no daemon heads more than one region above the mean; the new ones head some.
  const layout = layoutOf(reader);
  layout.subspaces.forEach((ss, i) => {
    const load = new Map<number, number>([...all].map((s) => [s, 0]));
    for (const r of ss.regions) load.set(r.replicas[0], (load.get(r.replicas[0]) ?? 0) + 1);
    const mean = ss.regions.length / all.size;
    const shown = JSON.stringify([...load]);
    for (const [server, n] of load) t.true(n <= mean + 1, `subspace ${i}: daemon ${server} heads ${n} regions, the mean is ${mean}; heads per daemon ${shown}`);
    for (const j of joined) t.true(load.get(j)! > 0, `subspace ${i}: the new daemon ${j} heads no region; heads per daemon ${shown}`);
  });
});
