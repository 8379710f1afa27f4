// hyperdex-replication-stress-test (and `hyperdex replication-stress-test`): bounces objects
// between the regions of subspaces B and C with puts in quick succession, and checks after each
// burst, and at the end, that each object is found exactly where its last acknowledged put left
// it (the checks themselves: src/stress/replication-check.ts).

import { Client, HyperObject, Key, SpaceSpec } from '../client/client';
import { OptionSpec } from './args';
import { Progress } from './progress';
import { giveUpAfterMs, integerOption, openSpace, parseStressArgs, stopOnSignals, stressSpecs, Tally, wrongSpace } from './stress-run';
import { RegionPicker } from '../stress/moves';
import { BurstWrite, checkFullScan, checkSettled, FoundObject, ObjectValues, possibleStates, SettledReads, valuesToSearch } from '../stress/replication-check';

export const REPLICATION_SPACE = `space replication
dimensions A, B, C
key A auto 4 2
subspace B auto 4 2
subspace C auto 4 2
`;

const PREFIX_MAX = 16;
const OPERATIONS_MAX = 100_000_000;
const SECONDS_MAX = 7 * 24 * 3600;
const CONCURRENCY_MAX = 256;
/** Puts to one object in a row before its reads: B moves, then C, then both. */
const BURST_WRITES = 3;
/** A search returning more than this many objects is cut short: the tool's values match one object each. */
const SEARCH_OBJECTS_MAX = 64;
/** The whole-space search at the end is skipped past this many objects (the space holds others' objects too). */
const FULL_SCAN_OBJECTS_MAX = 1_000_000;

function specs(defaultPort: string): OptionSpec[] {
  return [
    ...stressSpecs('replication', defaultPort),
    { long: 'prefix', short: 'P', valueName: 'N', help: `the space holds 2^N objects of this test, keys 0 .. 2^N-1 (N at most ${PREFIX_MAX})`, default: '6' },
    { long: 'operations', short: 'n', valueName: 'N', help: 'stop after this many puts (besides the first put of each object)', default: '3000' },
    { long: 'seconds', valueName: 'S', help: 'stop after this many seconds, if the puts are not done by then' },
    { long: 'concurrency', short: 'c', valueName: 'N', help: 'objects worked on at once (each by one loop: put, put, put, then read)', default: '8' },
  ];
}

const DESCRIPTION = `Puts the hyperspace placement (and, once it is built, the replication) through its paces: it
bounces 2^P objects between the regions of subspaces B and C with puts in quick succession, and
checks after each object's burst of puts, and at the end, that a get returns the last acknowledged
values, that a search on B and on C for them finds the object exactly once, and that a search for
a value it held before finds it no more. Run it on this space (add-space):

${REPLICATION_SPACE.trimEnd().replace(/^/gm, '    ')}

Standard output: what is run, each inconsistency found (the first 10), and a verdict line,
CONSISTENT, INCONSISTENT or GAVE UP. Exit status: 0 consistent, 1 inconsistent or unable to run
(coordinator unreachable, space missing, no operation succeeding for 30 s, or three --timeout if
longer), 2 a bad command line.
A progress line goes to standard error. Ctrl-C stops the puts and still checks and gives a verdict.`;

/** One object of the test. */
interface Owned {
  readonly key: Key;
  readonly keyText: string;
  /** The states it may hold between bursts: one, unless reads could not tell. */
  states: ObjectValues[];
}

/** The space's B and C must be strings: their values are made to hash into chosen regions. */
function checkShape(spec: SpaceSpec): void {
  for (const name of ['B', 'C']) {
    const attr = spec.attributes.find((a) => a.name === name);
    if (!attr) throw wrongSpace(spec, `it has no attribute ${name}`, REPLICATION_SPACE);
    if (attr.type.kind !== 'string') throw wrongSpace(spec, `attribute ${name} is not a string`, REPLICATION_SPACE);
  }
  const k = spec.key.type.kind;
  if (k !== 'string' && k !== 'int64') throw wrongSpace(spec, `its key ${spec.key.name} is neither a string nor an int64`, REPLICATION_SPACE);
}

/** The regions of the subspace of `attr` alone, 1 when there is none (the object then moves nowhere in it). */
function partitionsOf(spec: SpaceSpec, attr: string): number {
  return spec.subspaces.find((s) => s.attributes.length === 1 && s.attributes[0] === attr)?.partitions ?? 1;
}

const valuesOf = (o: HyperObject): ObjectValues => ({ b: String(o.B), c: String(o.C) });

class ReplicationRun {
  private readonly pickB: RegionPicker;
  private readonly pickC: RegionPicker;
  /** Makes every value of this run distinct from those of earlier runs. */
  private readonly nonce = Math.random().toString(36).slice(2, 8);
  private seq = 0;
  /** Puts handed out to the loops so far (the budget is --operations), and those returned. */
  private putsStarted = 0;
  private putsDone = 0;

  constructor(
    private readonly client: Client,
    private readonly spec: SpaceSpec,
    private readonly tally: Tally,
    private readonly operations: number,
    private readonly onProgress: (done: number) => void,
  ) {
    this.pickB = new RegionPicker(partitionsOf(spec, 'B'));
    this.pickC = new RegionPicker(partitionsOf(spec, 'C'));
  }

  get putsReturned(): number {
    return this.putsDone;
  }

  get regions(): string {
    return `B: ${this.pickB.partitions} regions, C: ${this.pickC.partitions} regions`;
  }

  private freshValue(attr: 'B' | 'C', keyText: string, current: string): string {
    const base = `${this.nonce}.${keyText}.${attr}${this.seq++}`;
    return (attr === 'B' ? this.pickB : this.pickC).valueOutside(base, current);
  }

  /** The first put of an object, until acknowledged: values of this run, in any regions. */
  async setUp(key: Key, keyText: string): Promise<Owned | undefined> {
    const values = { b: `${this.nonce}.${keyText}.B`, c: `${this.nonce}.${keyText}.C` };
    const done = await this.tally.persist(() => this.client.put(this.spec.name, key, { B: values.b, C: values.c }));
    return done ? { key, keyText, states: [values] } : undefined;
  }

  /** One loop: its objects in turn, a burst of puts then the reads, until the budget or a stop. */
  async loop(objects: readonly Owned[]): Promise<void> {
    if (objects.length === 0) return;
    for (let i = 0; !this.tally.stopped && this.putsStarted < this.operations; i = (i + 1) % objects.length) {
      const count = Math.min(BURST_WRITES, this.operations - this.putsStarted);
      this.putsStarted += count;
      await this.burstAndCheck(objects[i], count);
    }
  }

  private async burstAndCheck(o: Owned, count: number): Promise<void> {
    const burst: BurstWrite[] = [];
    let last = o.states[o.states.length - 1];
    for (let j = 0; j < count; j++) {
      // B moves, then C, then both: each attribute's chains see the object leave and arrive,
      // alone and together with the other's.
      const values = {
        b: j % 3 !== 1 ? this.freshValue('B', o.keyText, last.b) : last.b,
        c: j % 3 !== 0 ? this.freshValue('C', o.keyText, last.c) : last.c,
      };
      burst.push({ values, acknowledged: await this.put(o.key, values) });
      last = values;
      this.onProgress(++this.putsDone);
    }
    await this.readAndCheck(o, possibleStates(o.states, burst), valuesToSearch(o.states, burst));
  }

  /** One put of a burst: whether it was acknowledged (a failed one is not sent again: the checks allow for it). */
  private async put(key: Key, values: ObjectValues): Promise<boolean> {
    this.tally.writes++;
    return (await this.tally.attempt(() => this.client.put(this.spec.name, key, { B: values.b, C: values.c }))) !== undefined;
  }

  /** A get and the searches, then the check; the object's states become what the reads settle on. */
  async readAndCheck(o: Owned, possible: ObjectValues[], searches: { attr: 'B' | 'C'; value: string }[]): Promise<void> {
    const reads: SettledReads = {
      get: await this.read(async () => {
        const got = await this.client.get(this.spec.name, o.key);
        return got === null ? null : valuesOf(got);
      }),
      searches: await Promise.all(searches.map(async (s) => ({ ...s, found: (await this.read(() => this.search({ [s.attr]: s.value }, SEARCH_OBJECTS_MAX)))?.objects }))),
    };
    const { state, problems } = checkSettled(o.keyText, possible, reads);
    this.tally.inconsistent(problems);
    o.states = state ? [state] : possible;
  }

  private async read<T>(op: () => Promise<T>): Promise<T | undefined> {
    this.tally.reads++;
    return (await this.tally.attempt(op))?.value;
  }

  /** The first `max` objects a search returns, and whether that was all of them. */
  private async search(predicate: Record<string, string>, max: number): Promise<{ objects: FoundObject[]; complete: boolean }> {
    const objects: FoundObject[] = [];
    for await (const o of this.client.search(this.spec.name, predicate)) {
      if (objects.length === max) return { objects, complete: false };
      objects.push({ key: String(o[this.spec.key.name]), ...valuesOf(o) });
    }
    return { objects, complete: true };
  }

  /** At the end: each object read again, then the whole space searched once. */
  async finalCheck(objects: readonly Owned[], say: (line: string) => void): Promise<void> {
    for (const o of objects) await this.readAndCheck(o, o.states, valuesToSearch(o.states, []));
    const known = new Map(objects.filter((o) => o.states.length === 1).map((o) => [o.keyText, o.states[0]]));
    const all = await this.read(() => this.search({}, FULL_SCAN_OBJECTS_MAX));
    if (all?.complete) this.tally.inconsistent(checkFullScan(known, all.objects));
    else if (all) say(`note: the space holds more than ${FULL_SCAN_OBJECTS_MAX} objects: the search of the whole space was not checked`);
  }
}

/** `hyperdex-replication-stress-test [options]`; `program` names it in the help. */
export async function replicationStressCommand(argv: readonly string[], program: string, defaultPort: string): Promise<number> {
  const p = parseStressArgs(argv, specs(defaultPort), program, DESCRIPTION);
  if (!p) return 0;
  const prefix = integerOption(p, 'prefix', 0, PREFIX_MAX);
  const operations = integerOption(p, 'operations', 1, OPERATIONS_MAX);
  const concurrency = integerOption(p, 'concurrency', 1, CONCURRENCY_MAX);
  const seconds = p.values.seconds === undefined ? undefined : integerOption(p, 'seconds', 1, SECONDS_MAX);

  const { client, spec, timeoutMs } = await openSpace(p, REPLICATION_SPACE);
  const tally = new Tally(giveUpAfterMs(timeoutMs));
  const releaseSignals = stopOnSignals(tally);
  const started = performance.now();
  const timer = seconds === undefined ? undefined : setTimeout(() => tally.stop(`--seconds ${seconds} passed`), seconds * 1000);
  let progress: Progress | undefined;
  try {
    checkShape(spec);
    const run = new ReplicationRun(client, spec, tally, operations, (done) => progress?.update(done));
    const count = 2 ** prefix;
    const loops = Math.min(concurrency, count);
    const say = (line: string) => process.stdout.write(line + '\n');
    say(`${program}: ${count} objects in space ${spec.name} (${run.regions}), ${operations} puts, ${loops} objects at a time`);
    const keyOf = (i: number): Key => (spec.key.type.kind === 'int64' ? i : String(i));
    const objects: Owned[] = [];
    for (let i = 0; i < count && !tally.stopped; i++) {
      const o = await run.setUp(keyOf(i), String(i));
      if (o) objects.push(o);
    }
    progress = new Progress(operations, () => tally.summary());
    const perLoop = Array.from({ length: loops }, (_, l) => objects.filter((_o, i) => i % loops === l));
    if (!tally.gaveUp) await Promise.all(perLoop.map((mine) => run.loop(mine)));
    progress.stop(run.putsReturned);
    progress = undefined;
    if (!tally.gaveUp) await run.finalCheck(objects, say);
    return tally.verdict(say, (performance.now() - started) / 1000);
  } finally {
    progress?.stop(0);
    if (timer) clearTimeout(timer);
    releaseSignals();
    await client.close();
  }
}
