// What the two stress tools share: their connection options, opening the space they need (with a
// clear word when it is missing), the tally of operations and inconsistencies, when to stop, and
// the verdict that ends a run.

import { Client, HyperClientError, SpaceSpec } from '../client/client';
import { OptionSpec, parseArgs, Parsed, portValue, usage, UsageError } from './args';
import { timeoutMsOption } from './data-commands';

/** The options every stress tool has, as the manual's man pages list them, and a per-operation timeout. */
export function stressSpecs(defaultSpace: string, defaultPort: string): OptionSpec[] {
  return [
    { long: 'help', short: '?', flag: true, help: 'show this help and exit' },
    { long: 'space', short: 's', valueName: 'SPACE', help: 'the space to operate on', default: defaultSpace },
    { long: 'host', short: 'h', valueName: 'IP', help: "the coordinator's address", default: '127.0.0.1' },
    { long: 'port', short: 'p', valueName: 'P', help: "the coordinator's port", default: defaultPort },
    { long: 'timeout', valueName: 'SECONDS', help: 'give up on one operation after this long', default: '10' },
  ];
}

/**
 * A stress tool's command line: undefined when it asked for --help (printed here), else what was
 * parsed; an argument that is not an option is a usage error.
 */
export function parseStressArgs(argv: readonly string[], specs: OptionSpec[], program: string, description: string): Parsed | undefined {
  const p = parseArgs(argv, specs);
  if (p.flags.has('help')) {
    process.stdout.write(usage(`${program} [options]`, description, specs));
    return undefined;
  }
  if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
  return p;
}

/** A whole-number option within [min, max]. */
export function integerOption(p: Parsed, name: string, min: number, max: number): number {
  const raw = p.values[name];
  const n = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
  return n;
}

/**
 * Connects and reads the space's schema; `connect` opens more clients like the first. A coordinator that cannot be reached and a space that
 * does not exist end the run with one line; the latter says how to create the space.
 */
export async function openSpace(p: Parsed, description: string): Promise<{ client: Client; spec: SpaceSpec; timeoutMs: number; connect: () => Promise<Client> }> {
  const timeoutMs = timeoutMsOption(p);
  const host = p.values.host;
  const port = portValue(p, 'port');
  const connect = () => Client.connect(host, port, { timeoutMs, connectTimeoutMs: timeoutMs });
  const client = await connect();
  try {
    return { client, spec: await client.describeSpace(p.values.space), timeoutMs, connect };
  } catch (e) {
    await client.close();
    if (e instanceof HyperClientError && e.code === 'HYPERCLIENT_UNKNOWNSPACE') throw new Error(missingSpace(p.values.space, description, host, port));
    throw e;
  }
}

function missingSpace(name: string, description: string, host: string, port: number): string {
  const text = description.replace(/^space \S+/, `space ${name}`);
  return `there is no space named ${name}: create it first, e.g. printf '${text.replace(/\n/g, '\\n')}' | hyperdex add-space -h ${host} -p ${port}`;
}

/** A space of the wrong shape: one line naming what is wrong and the description the tool expects. */
export function wrongSpace(spec: SpaceSpec, what: string, description: string): Error {
  return new Error(`space ${spec.name} does not fit this test: ${what} (it is made for: ${description.trim().replace(/\n/g, '; ')})`);
}

/** How many inconsistencies the verdict describes; the rest are counted. */
const DESCRIBED_MAX = 10;
/** Past this many inconsistencies the run stops: it has made its point. */
const INCONSISTENCIES_STOP = 1000;
/** The run gives up when no operation has succeeded for this long (or three operation timeouts, if longer). */
const GIVE_UP_MS_MIN = 30_000;
/** The pause after a failed operation: a cluster that is down is not hammered. */
const FAILURE_PAUSE_MS = 100;

/** How long a run goes on with every operation failing before it gives up. */
export function giveUpAfterMs(timeoutMs: number): number {
  return Math.max(GIVE_UP_MS_MIN, 3 * timeoutMs);
}

/** The counters of a run, and when to stop it. */
export class Tally {
  writes = 0;
  reads = 0;
  failures = 0;
  private lastSuccessMs = performance.now();
  inconsistencies = 0;
  readonly described: string[] = [];
  /** Set when the run must stop early: why. */
  stopReason: string | undefined;
  /** Set when the run gave up (no verdict on consistency is possible): why. */
  gaveUp: string | undefined;

  /** `giveUpAfterMs`: how long the run may go on with every operation failing. */
  constructor(private readonly giveUpAfterMs: number) {}

  /**
   * Runs one operation: its result, or undefined when it failed. A failure is counted and
   * followed by a short pause; the run gives up when nothing has succeeded for giveUpAfterMs.
   */
  async attempt<T>(op: () => Promise<T>): Promise<{ value: T } | undefined> {
    try {
      const value = await op();
      this.lastSuccessMs = performance.now();
      return { value };
    } catch (e) {
      this.failures++;
      const silentMs = performance.now() - this.lastSuccessMs;
      if (silentMs >= this.giveUpAfterMs)
        this.giveUp(`no operation succeeded for ${(silentMs / 1000).toFixed(0)} s; the last failed with ${e instanceof Error ? e.message : String(e)}`);
      await new Promise((resolve) => setTimeout(resolve, FAILURE_PAUSE_MS));
      return undefined;
    }
  }

  /**
   * Runs a write until it succeeds (a put of the same values again changes nothing), unless the
   * run gives up first. Counts each attempt as a write.
   */
  async persist(op: () => Promise<unknown>): Promise<boolean> {
    while (this.gaveUp === undefined) {
      this.writes++;
      if (await this.attempt(op)) return true;
    }
    return false;
  }

  giveUp(why: string): void {
    this.gaveUp ??= why;
    this.stop(why);
  }

  stop(why: string): void {
    this.stopReason ??= why;
  }

  get stopped(): boolean {
    return this.stopReason !== undefined;
  }

  inconsistent(problems: readonly string[]): void {
    for (const p of problems) {
      this.inconsistencies++;
      if (this.described.length < DESCRIBED_MAX) this.described.push(p);
    }
    if (this.inconsistencies >= INCONSISTENCIES_STOP) this.stop(`${INCONSISTENCIES_STOP} inconsistencies found`);
  }

  /** The counters after the progress bar. */
  summary(): string {
    return `writes, ${this.reads} reads, ${this.inconsistencies} inconsistencies, ${this.failures} failed`;
  }

  /**
   * Prints the inconsistencies described and the verdict line, and returns the exit status: 0
   * consistent, 1 inconsistent or gave up.
   */
  verdict(write: (line: string) => void, seconds: number): number {
    this.described.forEach((d, i) => write(`inconsistency ${i + 1}: ${d}`));
    if (this.inconsistencies > this.described.length) write(`... and ${this.inconsistencies - this.described.length} more`);
    const counts = `${this.writes} writes, ${this.reads} reads, ${this.failures} failed operations, ${this.inconsistencies} inconsistencies in ${seconds.toFixed(1)} s`;
    const early = this.stopReason !== undefined && this.gaveUp === undefined ? ` (stopped early: ${this.stopReason})` : '';
    if (this.gaveUp !== undefined) write(`GAVE UP: ${this.gaveUp}; ${counts}`);
    else write(`${this.inconsistencies === 0 ? 'CONSISTENT' : 'INCONSISTENT'}: ${counts}${early}`);
    return this.inconsistencies === 0 && this.gaveUp === undefined ? 0 : 1;
  }
}

/** A first Ctrl-C (or SIGTERM) stops the run at the next operation, with its final checks and verdict; a second one exits at once. */
export function stopOnSignals(tally: Tally): () => void {
  const onSignal = (signal: string) => {
    if (tally.stopped && tally.stopReason === 'interrupted') process.exit(130);
    tally.stop('interrupted');
    process.stderr.write(`\nreceived ${signal}: finishing the operations in flight and checking (again to quit at once)\n`);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}
