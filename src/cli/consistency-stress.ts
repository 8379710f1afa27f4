// hyperdex-simple-consistency-stress-test (and `hyperdex simple-consistency-stress-test`): one
// writer puts keys [0, window) in order with increasing repetitions while readers read them in
// reverse order; a repetition that goes backwards where the order of the writes forbids it is an
// inconsistency (the condition, derived: src/stress/consistency-check.ts).
//
// The manual's "reader threads" are concurrent reader loops here, each with its own Client and so
// its own connections, all on one event loop. What is checked is what the servers answer, and
// the loops' requests are in flight at the same time on separate connections, as the threads' were;
// worker threads would add only CPU contention on the machine that also runs the cluster.

import { Client, Key, SpaceSpec, Value } from '../client/client';
import { OptionSpec } from './args';
import { Progress } from './progress';
import { giveUpAfterMs, integerOption, openSpace, parseStressArgs, stopOnSignals, stressSpecs, Tally, wrongSpace } from './stress-run';
import { checkFinal, ReaderCheck, sentMaxFor } from '../stress/consistency-check';

export const CONSISTENCY_SPACE = `space consistency
dimensions n, repetition
key n auto 0 2
`;

const WINDOW_MAX = 1_000_000;
const REPETITIONS_MAX = 1_000_000;
const THREADS_MAX = 64;

function specs(defaultPort: string): OptionSpec[] {
  return [
    ...stressSpecs('consistency', defaultPort),
    { long: 'window-size', short: 'w', valueName: 'KEYS', help: 'the keys used, 0 .. KEYS-1 (fewer keys: reads catch up with the writer sooner)', default: '100' },
    { long: 'repetitions', short: 'r', valueName: 'N', help: 'how many times each key is written before the run ends', default: '100' },
    { long: 'threads', short: 't', valueName: 'N', help: 'reader loops, each with its own connections', default: '4' },
  ];
}

const DESCRIPTION = `One writer puts every key of [0, KEYS) in order, each put acknowledged before the next, with
strictly increasing repetitions; reader loops read the keys in reverse order and report a
repetition that goes backwards where the order of the writes forbids it (a key read after a
higher key must hold at least that key's repetition), or one never written. At the end each key
must hold the last repetition written. Meant to run while failures are caused from outside
(kill -9, frozen daemons); today each region is stored only by its chain's head, so a daemon
killed takes its keys with it. Run it on this space (add-space):

${CONSISTENCY_SPACE.trimEnd().replace(/^/gm, '    ')}

The space may also give n and repetition the type int64. Standard output: what is run, each
inconsistency found (the first 10), and a verdict line, CONSISTENT, INCONSISTENT or GAVE UP. Exit
status: 0 consistent, 1 inconsistent or unable to run (coordinator unreachable, space missing, no
operation succeeding for 30 s, or three --timeout if longer), 2 a bad command line. A progress line goes to standard error.
Ctrl-C stops the writer and still checks and gives a verdict.`;

type KindOf = 'string' | 'int64';

function checkShape(spec: SpaceSpec): { key: KindOf; repetition: KindOf } {
  const rep = spec.attributes.find((a) => a.name === 'repetition');
  if (!rep) throw wrongSpace(spec, 'it has no attribute repetition', CONSISTENCY_SPACE);
  const kinds = [spec.key.type.kind, rep.type.kind];
  if (!kinds.every((k) => k === 'string' || k === 'int64')) throw wrongSpace(spec, `its key and repetition must be strings or int64s`, CONSISTENCY_SPACE);
  return { key: kinds[0] as KindOf, repetition: kinds[1] as KindOf };
}

/** A repetition as read: a whole number, or undefined when the value is no repetition the writer writes. */
function repetitionOf(v: Value | undefined): number | undefined {
  const text = typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v) : '';
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

class ConsistencyRun {
  /** The put the writer is making (or made last): repetition `repetition` to key `key`. */
  private writing = { key: 0, repetition: 0 };
  private putsDone = 0;
  private writerDone = false;
  /** Every key was given the base repetition: what the checks start from. */
  private ready = false;

  constructor(
    private readonly client: Client,
    private readonly space: string,
    private readonly kinds: { key: KindOf; repetition: KindOf },
    private readonly window: number,
    private readonly tally: Tally,
    private readonly onProgress: (done: number) => void,
  ) {}

  private keyOf(k: number): Key {
    return this.kinds.key === 'int64' ? k : String(k);
  }

  /** Reads key k's repetition: a number, null for no object, 'bad' for a value the writer never writes, undefined when the read failed. */
  private async read(client: Client, k: number): Promise<number | null | 'bad' | undefined> {
    this.tally.reads++;
    const got = await this.tally.attempt(() => client.get(this.space, this.keyOf(k)));
    if (got === undefined) return undefined;
    return got.value === null ? null : (repetitionOf(got.value.repetition) ?? 'bad');
  }

  /**
   * Puts until acknowledged: the writer may not go on before (the same value again changes
   * nothing). False when the run gave up first.
   */
  private async put(k: number, repetition: number): Promise<boolean> {
    this.writing = { key: k, repetition };
    const value = this.kinds.repetition === 'int64' ? repetition : String(repetition);
    return this.tally.persist(() => this.client.put(this.space, this.keyOf(k), { repetition: value }));
  }

  /**
   * Before the readers start: every key gets the highest repetition any of them holds (earlier
   * runs leave theirs), so that all start equal. Returns that repetition, the base of this run.
   */
  async setUp(): Promise<number> {
    let base = 0;
    for (let k = 0; k < this.window && !this.tally.stopped; k++) {
      const r = await this.read(this.client, k);
      if (typeof r === 'number') base = Math.max(base, r);
    }
    for (let k = 0; k < this.window && !this.tally.stopped; k++) if (!(await this.put(k, base))) return base;
    this.ready = !this.tally.stopped;
    return base;
  }

  async writer(base: number, repetitions: number): Promise<void> {
    try {
      for (let r = base + 1; r <= base + repetitions; r++)
        for (let k = 0; k < this.window; k++) {
          if (this.tally.stopped || !(await this.put(k, r))) return;
          this.onProgress(++this.putsDone);
        }
    } finally {
      this.writerDone = true;
    }
  }

  /** A reader: passes from key window-1 down to 0 until the writer is done. */
  async reader(n: number, client: Client, base: number): Promise<void> {
    const check = new ReaderCheck(this.window, base);
    while (!this.writerDone && !this.tally.stopped)
      for (let k = this.window - 1; k >= 0 && !this.tally.stopped; k--) {
        const r = await this.read(client, k);
        if (r === undefined) continue;
        if (r === 'bad') this.tally.inconsistent([`reader ${n}: key ${k} holds a repetition that is not a whole number, which the writer never writes`]);
        else {
          const problem = check.observe(k, r, sentMaxFor(k, this.writing.key, this.writing.repetition));
          if (problem !== undefined) this.tally.inconsistent([`reader ${n}: ${problem}`]);
        }
      }
  }

  /** With the writer stopped: each key holds the last repetition it was given (if the setup was done). */
  async finalCheck(): Promise<void> {
    if (!this.ready) return;
    const values: (number | null | undefined)[] = [];
    for (let k = 0; k < this.window; k++) {
      const r = await this.read(this.client, k);
      if (r === 'bad') this.tally.inconsistent([`at the end, key ${k} holds a repetition that is not a whole number, which the writer never writes`]);
      values.push(r === 'bad' ? undefined : r);
    }
    this.tally.inconsistent(checkFinal(values, this.writing.key, this.writing.repetition));
  }

  get puts(): number {
    return this.putsDone;
  }
}

/** `hyperdex-simple-consistency-stress-test [options]`; `program` names it in the help. */
export async function consistencyStressCommand(argv: readonly string[], program: string, defaultPort: string): Promise<number> {
  const p = parseStressArgs(argv, specs(defaultPort), program, DESCRIPTION);
  if (!p) return 0;
  const window = integerOption(p, 'window-size', 1, WINDOW_MAX);
  const repetitions = integerOption(p, 'repetitions', 1, REPETITIONS_MAX);
  const threads = integerOption(p, 'threads', 1, THREADS_MAX);

  const { client, spec, timeoutMs, connect } = await openSpace(p, CONSISTENCY_SPACE);
  const readers: Client[] = [];
  const tally = new Tally(giveUpAfterMs(timeoutMs));
  const releaseSignals = stopOnSignals(tally);
  const started = performance.now();
  let progress: Progress | undefined;
  try {
    const run = new ConsistencyRun(client, spec.name, checkShape(spec), window, tally, (done) => progress?.update(done));
    for (let i = 0; i < threads; i++) readers.push(await connect());
    const say = (line: string) => process.stdout.write(line + '\n');
    const base = await run.setUp();
    say(`${program}: keys 0 .. ${window - 1} of space ${spec.name}, repetitions ${base + 1} .. ${base + repetitions}, ${threads} readers`);
    progress = new Progress(window * repetitions, () => tally.summary());
    if (!tally.stopped) await Promise.all([run.writer(base, repetitions), ...readers.map((c, i) => run.reader(i + 1, c, base))]);
    progress.stop(run.puts);
    progress = undefined;
    if (!tally.gaveUp) await run.finalCheck();
    return tally.verdict(say, (performance.now() - started) / 1000);
  } finally {
    progress?.stop(0);
    releaseSignals();
    await Promise.all([client, ...readers].map((c) => c.close()));
  }
}
