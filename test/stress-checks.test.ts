// The checks of the two stress tools, fed made-up observations: consistent ones pass, and each
// kind of inconsistency is reported (so neither checker can pass by saying nothing).

import test from 'ava';
import fc from 'fast-check';
import { checkFinal, ReaderCheck, sentMaxFor } from '../src/stress/consistency-check';
import { RegionPicker } from '../src/stress/moves';
import { BurstWrite, checkFullScan, checkSettled, FoundObject, ObjectValues, possibleStates, SettledReads, valuesToSearch } from '../src/stress/replication-check';

// ---- replication: one object, its states, its reads -----------------------------------------------

const OLD: ObjectValues = { b: 'b0', c: 'c0' };
const W1: ObjectValues = { b: 'b1', c: 'c0' };
const W2: ObjectValues = { b: 'b1', c: 'c2' };
const W3: ObjectValues = { b: 'b3', c: 'c3' };
const acked = (values: ObjectValues): BurstWrite => ({ values, acknowledged: true });
const failed = (values: ObjectValues): BurstWrite => ({ values, acknowledged: false });
const found = (v: ObjectValues, key = 'k'): FoundObject => ({ key, ...v });

/** What a correct store answers when the object holds `state`: the reads of every value searched. */
function truthfulReads(state: ObjectValues, searches: { attr: 'B' | 'C'; value: string }[]): SettledReads {
  return {
    get: state,
    searches: searches.map((s) => ({ ...s, found: (s.attr === 'B' ? state.b : state.c) === s.value ? [found(state)] : [] })),
  };
}

test('possibleStates: the last acknowledged put, then any later put that failed; the state before only when none was acknowledged', (t) => {
  t.deepEqual(possibleStates([OLD], [acked(W1), acked(W2), acked(W3)]), [W3]);
  t.deepEqual(possibleStates([OLD], [acked(W1), acked(W2), failed(W3)]), [W2, W3]);
  t.deepEqual(possibleStates([OLD], [acked(W1), failed(W2), failed(W3)]), [W1, W2, W3]);
  t.deepEqual(possibleStates([OLD], [failed(W1), acked(W2), failed(W3)]), [W2, W3]);
  t.deepEqual(possibleStates([OLD], [failed(W1), failed(W2)]), [OLD, W1, W2]);
  t.deepEqual(possibleStates([OLD, W1], []), [OLD, W1]);
});

test('valuesToSearch: every B and C value held before or offered, once each', (t) => {
  t.deepEqual(valuesToSearch([OLD], [acked(W1), acked(W2), acked(W3)]), [
    { attr: 'B', value: 'b0' },
    { attr: 'B', value: 'b1' },
    { attr: 'B', value: 'b3' },
    { attr: 'C', value: 'c0' },
    { attr: 'C', value: 'c2' },
    { attr: 'C', value: 'c3' },
  ]);
});

test('checkSettled: a store that answers with the last acknowledged values passes, and the reads settle on them', (t) => {
  const burst = [acked(W1), acked(W2), acked(W3)];
  const r = checkSettled('k', possibleStates([OLD], burst), truthfulReads(W3, valuesToSearch([OLD], burst)));
  t.deepEqual(r, { state: W3, problems: [] });
});

test('checkSettled: a failed put the store did apply, or did not, passes either way; the get tells which', (t) => {
  const burst = [acked(W1), failed(W2)];
  const searches = valuesToSearch([OLD], burst);
  for (const truth of [W1, W2]) t.deepEqual(checkSettled('k', possibleStates([OLD], burst), truthfulReads(truth, searches)), { state: truth, problems: [] });
});

/** Reads of W3 (the last acknowledged put) with one thing wrong: each must be reported. */
const BROKEN: [string, (r: SettledReads) => SettledReads, RegExp][] = [
  ['a get of the values before the last put', (r) => ({ ...r, get: W2 }), /key k: get returned B="b1" C="c2", but the last acknowledged put wrote B="b3" C="c3"/],
  ['a get that finds no object', (r) => ({ ...r, get: null }), /key k: get found no object/],
  ['a search on the current B that misses it', (r) => withSearch(r, 'B', 'b3', []), /search B="b3" did not find it, though it holds B="b3" C="c3"/],
  ['a search on the current C that misses it', (r) => withSearch(r, 'C', 'c3', []), /search C="c3" did not find it/],
  ['a search on a B it left that still finds it', (r) => withSearch(r, 'B', 'b1', [found(W2)]), /search B="b1" still found it \(B="b1" C="c2"\), though the put that moved it to B="b3" C="c3" was acknowledged/],
  ['a search on a C it left that still finds it', (r) => withSearch(r, 'C', 'c0', [found(OLD)]), /search C="c0" still found it/],
  ['a search that returns it twice', (r) => withSearch(r, 'B', 'b3', [found(W3), found(W3)]), /search B="b3" returned key k 2 times/],
  ['a search that returns it with an old C', (r) => withSearch(r, 'B', 'b3', [found({ b: 'b3', c: 'c2' })]), /search B="b3" returned B="b3" C="c2", but it holds B="b3" C="c3"/],
  ['a search that returns an object that does not match', (r) => withSearch(r, 'C', 'c3', [found(W3), found({ b: 'x', c: 'y' }, 'other')]), /search C="c3" returned key other, whose C is "y"/],
];

function withSearch(r: SettledReads, attr: 'B' | 'C', value: string, objects: FoundObject[]): SettledReads {
  return { ...r, searches: r.searches.map((s) => (s.attr === attr && s.value === value ? { ...s, found: objects } : s)) };
}

for (const [what, breakIt, message] of BROKEN)
  test(`checkSettled reports ${what}`, (t) => {
    const burst = [acked(W1), acked(W2), acked(W3)];
    const reads = breakIt(truthfulReads(W3, valuesToSearch([OLD], burst)));
    const { problems } = checkSettled('k', possibleStates([OLD], burst), reads);
    t.true(problems.length >= 1);
    t.true(problems.some((p) => message.test(p)), problems.join('\n'));
  });

test('checkSettled: reads that failed are not checked; with the get failed and two states possible, searches are checked against both', (t) => {
  const burst = [acked(W1), failed(W3)];
  const possible = possibleStates([OLD], burst);
  const searches = valuesToSearch([OLD], burst);
  const allFailed: SettledReads = { get: undefined, searches: searches.map((s) => ({ ...s, found: undefined })) };
  t.deepEqual(checkSettled('k', possible, allFailed), { state: undefined, problems: [] });
  // W1 or W3 may hold: b1 or b3 may be found; b0 (left before the burst, acknowledged) may not.
  const bad = { get: undefined, searches: searches.map((s) => ({ ...s, found: s.value === 'b0' ? [found(OLD)] : [] })) };
  const r = checkSettled('k', possible, bad);
  t.is(r.state, undefined);
  t.deepEqual(r.problems, ['key k: search B="b0" still found it (B="b0" C="c0"), though the put that moved it to B="b1" C="c0" or B="b3" C="c3" was acknowledged']);
  // A value that every possible state holds must be found.
  const sameC = possibleStates([OLD], [acked({ b: 'b1', c: 'cc' }), failed({ b: 'b2', c: 'cc' })]);
  t.deepEqual(checkSettled('k', sameC, { get: undefined, searches: [{ attr: 'C', value: 'cc', found: [] }] }).problems, [
    'key k: search C="cc" did not find it, though it holds B="b1" C="cc" or B="b2" C="cc" (acknowledged)',
  ]);
});

test('checkSettled: never a report for a correct store under random failed puts, always one for a store that forgets a burst (property)', (t) => {
  // A correct store under random failures never fails the check...
  const write = fc.record({ moveB: fc.boolean(), moveC: fc.boolean(), acknowledged: fc.boolean(), appliedAnyway: fc.boolean() });
  let seq = 0;
  fc.assert(
    fc.property(fc.array(fc.array(write, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 10 }), (bursts) => {
      let truth: ObjectValues = OLD;
      let states: ObjectValues[] = [OLD];
      for (const b of bursts) {
        const burst: BurstWrite[] = [];
        let last = truth;
        for (const w of b) {
          const values = { b: w.moveB ? `b${++seq}` : last.b, c: w.moveC ? `c${++seq}` : last.c };
          last = values;
          // A failed put took effect or not; the last one that did is the truth.
          if (w.acknowledged || w.appliedAnyway) truth = values;
          burst.push({ values, acknowledged: w.acknowledged });
        }
        const r = checkSettled('k', possibleStates(states, burst), truthfulReads(truth, valuesToSearch(states, burst)));
        if (r.problems.length > 0) return false;
        states = r.state ? [r.state] : possibleStates(states, burst);
      }
      return true;
    }),
    { numRuns: 300 },
  );
  // ...and one that answers with the values before an acknowledged put always does.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3 }), (n) => {
      const burst = Array.from({ length: n }, (_, i) => acked({ b: `x${i}`, c: `y${i}` }));
      return checkSettled('k', possibleStates([OLD], burst), truthfulReads(OLD, valuesToSearch([OLD], burst))).problems.length > 0;
    }),
  );
  t.pass();
});

test('checkFullScan: each object once with its values; missing, doubled and stale objects reported; others ignored', (t) => {
  const expected = new Map([
    ['1', W1],
    ['2', W2],
  ]);
  t.deepEqual(checkFullScan(expected, [found(W1, '1'), found(W2, '2'), found(OLD, 'not-mine')]), []);
  t.deepEqual(checkFullScan(expected, [found(W1, '1')]), ['search of the whole space did not return key 2 (it holds B="b1" C="c2")']);
  t.deepEqual(checkFullScan(expected, [found(W1, '1'), found(W2, '2'), found(W2, '2')]), ['search of the whole space returned key 2 more than once']);
  t.deepEqual(checkFullScan(expected, [found(OLD, '1'), found(W2, '2')]), ['search of the whole space returned key 1 with B="b0" C="c0", but it holds B="b1" C="c0"']);
});

test('RegionPicker: each new value lands outside the old value\'s region; one region: the base itself', (t) => {
  const picker = new RegionPicker(16);
  let current = 'start';
  const regions = new Set<number>();
  for (let i = 0; i < 500; i++) {
    const next = picker.valueOutside(`v${i}`, current);
    t.not(picker.regionOf(next), picker.regionOf(current));
    t.true(next.startsWith(`v${i}`));
    regions.add(picker.regionOf(next));
    current = next;
  }
  t.is(regions.size, 16, 'the moves visit every region');
  t.is(new RegionPicker(1).valueOutside('v', 'x'), 'v');
  t.is(new RegionPicker(2).valueOutside('v', 'v'), new RegionPicker(2).valueOutside('v', 'v'), 'deterministic');
});

// ---- consistency: a reader's reads against the order of the writes --------------------------------

/** Feeds reads [key, repetition] to a fresh check; the writer is far ahead (nothing is "never written"). */
function feed(window: number, base: number, reads: [number, number | null][]): string[] {
  const c = new ReaderCheck(window, base);
  return reads.flatMap(([k, r]) => c.observe(k, r, 1_000_000) ?? []);
}

test('ReaderCheck: reverse passes that see the writer advance pass', (t) => {
  // Window 4: pass 1 sees round 1 reach key 1; pass 2 sees round 2 at key 0 and round 1 elsewhere; pass 3 all at 2 but key 3 at 3 (a new round ran fast).
  t.deepEqual(feed(4, 0, [[3, 0], [2, 0], [1, 1], [0, 1], [3, 1], [2, 1], [1, 1], [0, 2], [3, 2], [2, 2], [1, 3], [0, 3]]), []);
  // After (0, 3) every other key may be at 2 (round 2 finished before (0, 3)).
  t.deepEqual(feed(4, 0, [[0, 3], [3, 2], [2, 2], [1, 3], [0, 3]]), []);
  // A jump ahead is fine: the writer may have run many rounds between two reads.
  t.deepEqual(feed(4, 5, [[3, 5], [2, 9], [1, 9], [0, 12]]), []);
});

test('ReaderCheck reports a lower key read after a higher one with a lower repetition (the manual\'s case)', (t) => {
  t.deepEqual(feed(4, 0, [[3, 2], [2, 1]]), ['key 2 holds repetition 1, but key 3 was read before with repetition 2, and key 2 was given 2 before key 3 was']);
});

test('ReaderCheck reports a key that goes back between two passes', (t) => {
  t.deepEqual(feed(4, 0, [[3, 1], [2, 1], [1, 2], [0, 2], [3, 1], [2, 1], [1, 1]]), ['key 1 holds repetition 1, but it was read before with repetition 2']);
});

test('ReaderCheck reports a higher key two rounds behind a lower key read before', (t) => {
  // (0, 3) means round 2 was done: key 3 holds at least 2.
  t.deepEqual(feed(4, 0, [[0, 3], [3, 1]]), ['key 3 holds repetition 1, but key 0 was read before with repetition 3, and every key was given 2 before it was']);
});

test('ReaderCheck reports a key below the base, a missing object, and a repetition never written', (t) => {
  t.deepEqual(feed(4, 5, [[3, 4]]), ['key 3 holds repetition 4, but every key was given repetition 5 before the readers started']);
  t.deepEqual(feed(4, 0, [[3, 1], [2, null]]), ['key 2 has no object, but key 3 was read before with repetition 1, and key 2 was given 1 before key 3 was']);
  const c = new ReaderCheck(4, 0);
  t.is(c.observe(2, 3, sentMaxFor(2, 1, 3)), 'key 2 holds repetition 3, which was never written (the writer had sent at most 2 for it)');
  t.is(c.observe(1, 3, sentMaxFor(1, 1, 3)), undefined);
});

test('sentMaxFor: keys up to the one being written have its repetition, the rest the one before', (t) => {
  t.deepEqual([0, 1, 2, 3].map((k) => sentMaxFor(k, 1, 7)), [7, 7, 6, 6]);
});

test('ReaderCheck never reports a reader of a store that is always up to date (property)', (t) => {
  // Any interleaving of the writer's puts (in order) and readers' reverse passes over the exact current state.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.nat(3), fc.array(fc.nat(2), { minLength: 1, maxLength: 200 }), (window, base, schedule) => {
      const store = new Array<number>(window).fill(base);
      const writer = { key: window - 1, repetition: base };
      const readers = [0, 1].map(() => ({ check: new ReaderCheck(window, base), next: window - 1 }));
      for (const step of schedule) {
        if (step === 2) {
          writer.key = (writer.key + 1) % window;
          if (writer.key === 0) writer.repetition++;
          store[writer.key] = writer.repetition;
        } else {
          const r = readers[step];
          if (r.check.observe(r.next, store[r.next], sentMaxFor(r.next, writer.key, writer.repetition)) !== undefined) return false;
          r.next = r.next === 0 ? window - 1 : r.next - 1;
        }
      }
      return true;
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('checkFinal: each key holds the last repetition it was given; a stale or missing key is reported, a failed read skipped', (t) => {
  t.deepEqual(checkFinal([4, 4, 3, 3], 1, 4), []);
  t.deepEqual(checkFinal([4, 3, undefined, null], 1, 4), [
    "at the end, key 1 holds repetition 3, but the writer's last put to it (acknowledged) wrote 4",
    "at the end, key 3 holds no object, but the writer's last put to it (acknowledged) wrote 3",
  ]);
});
