// The check of hyperdex-simple-consistency-stress-test, on observations alone: no client, no I/O,
// so that tests can feed it made-up reads, consistent and not.
//
// The writer first gives every key of [0, w) the repetition `base` (before any reader starts),
// then for r = base+1, base+2, ...: puts (k, r) for k = 0, 1, ..., w-1, each put awaited before
// the next is sent. So every put is acknowledged before the next one begins, and the writes form
// one sequence: (0, r) < (1, r) < ... < (w-1, r) < (0, r+1) < ...
//
// A reader reads keys one after another (w-1 down to 0, then again), each read awaited before
// the next. Say it read key j and found repetition r (r > base). The put (j, r) then took effect
// before that read returned. With linearizable reads and writes, every read the reader makes
// afterwards (it starts after the read of j returned) sees every write that came before (j, r) in
// the sequence:
// - every (i, r) with i <= j: key i holds at least r (i = j: a key never goes back);
// - every (i, r-1) with i > j, written in the round before: key i holds at least r-1.
// Reading j = w-1 down to 0 is the case the manual names: going down, repetitions never
// decrease. The floor of a key is the largest bound over all earlier reads. Let M be the largest
// repetition the reader has seen and J the largest key it saw holding M: a read (j, r) with
// r < M gives at most r <= M-1 to any key, which (J, M) already gives, so
// floor(i) = M if i <= J, M-1 otherwise. Before any read, M = base and J = w-1 (all keys hold base).
//
// And a repetition above the highest the writer had sent for the key when the read returned was
// never written: also inconsistent.
//
// A put that failed is sent again until it is acknowledged (writing the same value twice changes
// nothing); that the first attempt takes effect later still, after newer puts, is not considered.

/** A reader's check: feed it each read in the order the reader made them. */
export class ReaderCheck {
  /** The largest repetition seen, and the largest key seen holding it. */
  private highest: number;
  private highestKey: number;
  /** Which read set `highest` (undefined: the writer's first pass, before the readers started). */
  private highestRead: { key: number; repetition: number } | undefined;

  constructor(
    readonly window: number,
    readonly base: number,
  ) {
    if (!(Number.isInteger(window) && window >= 1)) throw new RangeError(`window must be a positive integer, got ${window}`);
    this.highest = base;
    this.highestKey = window - 1;
  }

  /** The least repetition key `i` may hold now, by the reads made so far. */
  floor(i: number): number {
    return i <= this.highestKey ? this.highest : this.highest - 1;
  }

  /**
   * One read: key `key` held `repetition` (null: no object). `sentMax` is the highest repetition the
   * writer had sent for that key when the read returned. Returns one line describing the
   * inconsistency, or undefined.
   */
  observe(key: number, repetition: number | null, sentMax: number): string | undefined {
    if (!(Number.isInteger(key) && key >= 0 && key < this.window)) throw new RangeError(`key ${key} is outside the window [0, ${this.window})`);
    const floor = this.floor(key);
    const problem =
      repetition === null
        ? `key ${key} has no object, but ${this.why(key, floor)}`
        : repetition > sentMax
          ? `key ${key} holds repetition ${repetition}, which was never written (the writer had sent at most ${sentMax} for it)`
          : repetition < floor
            ? `key ${key} holds repetition ${repetition}, but ${this.why(key, floor)}`
            : undefined;
    if (repetition !== null && repetition <= sentMax) this.raise(key, repetition);
    return problem;
  }

  private raise(key: number, repetition: number): void {
    if (repetition > this.highest) {
      this.highest = repetition;
      this.highestKey = key;
      this.highestRead = { key, repetition };
    } else if (repetition === this.highest && key > this.highestKey) {
      this.highestKey = key;
      this.highestRead = { key, repetition };
    }
  }

  /** Why key `key` must hold at least `floor`. */
  private why(key: number, floor: number): string {
    const read = this.highestRead;
    if (read === undefined) return `every key was given repetition ${this.base} before the readers started`;
    if (floor === read.repetition)
      return read.key === key
        ? `it was read before with repetition ${read.repetition}`
        : `key ${read.key} was read before with repetition ${read.repetition}, and key ${key} was given ${floor} before key ${read.key} was`;
    return `key ${read.key} was read before with repetition ${read.repetition}, and every key was given ${floor} before it was`;
  }
}

/** The highest repetition the writer has sent for key `key`, when it is sending `repetition` to `current`. */
export function sentMaxFor(key: number, current: number, repetition: number): number {
  return key <= current ? repetition : repetition - 1;
}

/**
 * The check at the end, once the writer has stopped with its put of `lastRepetition` to `lastKey`
 * acknowledged: each key holds the last repetition the writer gave it. `values[k]` is what key k
 * holds (null: no object; undefined: the read failed, nothing to check).
 */
export function checkFinal(values: readonly (number | null | undefined)[], lastKey: number, lastRepetition: number): string[] {
  const problems: string[] = [];
  values.forEach((v, key) => {
    if (v === undefined) return;
    const want = sentMaxFor(key, lastKey, lastRepetition);
    if (v !== want) problems.push(`at the end, key ${key} holds ${v === null ? 'no object' : `repetition ${v}`}, but the writer's last put to it (acknowledged) wrote ${want}`);
  });
  return problems;
}
