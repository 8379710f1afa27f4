// The search checker (src/sim/search-check.ts): searches and counts against every key's possible
// states. Known cases (stale, concurrent, missed, deleted, pending, counts, undecided keys), and a
// property test that a correct system (each key read at some instant of the search, from a real
// sequential execution) is never flagged.

import test from 'ava';
import fc from 'fast-check';

import { CheckOp, FuncOp, Status } from '../src/common/protocol';
import { KeyOperation, KeyState, KeyWrite, showState, writeOutcome } from '../src/sim/key-model';
import { buildSearchIndex, checkSearch, checkSearches, possibleStates, SearchOperation, SearchResultObject } from '../src/sim/search-check';
import { atomic, check, condPut, del, get, PEOPLE, put, values, write } from './helpers/key-ops';

const SEED = Number(process.env.FC_SEED ?? Date.now() % 1_000_000);
test.before((t) => t.log(`fast-check seed ${SEED} (FC_SEED to repeat)`));

const { SUCCESS } = Status;
type Attrs = Record<string, unknown>;

const ageIs = (v: number) => [check('age', v)];
const obj = (key: string, attrs: Attrs): SearchResultObject => ({ key: Buffer.from(key), values: values(attrs) });

function search(checks: ReturnType<typeof ageIs>, call: number, ret: number, objects: SearchResultObject[]): SearchOperation {
  return { kind: 'search', space: PEOPLE, checks, call, ret, objects };
}
function count(checks: ReturnType<typeof ageIs>, call: number, ret: number, n: number): SearchOperation {
  return { kind: 'count', space: PEOPLE, checks, call, ret, count: n };
}
function verdict(history: KeyOperation[], s: SearchOperation) {
  return checkSearches(history, [s])[0];
}

test('a stale object (definitely overwritten before the search) is flagged', (t) => {
  const h = [write('k', put({ age: 1 }), 0, 5, SUCCESS, 'put'), write('k', put({ age: 2 }), 10, 15, SUCCESS, 'put')];
  const v = verdict(h, search(ageIs(1), 20, 25, [obj('k', { age: 1 })]));
  t.is(v.result, 'illegal');
  t.is(v.violations.length, 1);
  t.regex(v.violations[0], /search \[20, 25\] in people, key "k": returned \{first: "", age: 1\}, a state it never possibly had then; possible: \{first: "", age: 2\}/);
  t.regex(v.violations[0], /\[10, 15\] people\/"k" put\(f1 age 2\) -> SUCCESS/);
  t.is(verdict(h, search(ageIs(2), 20, 25, [obj('k', { age: 2 })])).result, 'ok');
});

test('an object written concurrently with the search may be returned or not', (t) => {
  const h = [write('k', put({ age: 1 }), 0, 5, SUCCESS), write('k', put({ age: 2 }), 10, 30, SUCCESS)];
  for (const age of [1, 2]) {
    t.is(verdict(h, search(ageIs(age), 20, 25, [obj('k', { age })])).result, 'ok', `returned at age ${age}`);
    t.is(verdict(h, search(ageIs(age), 20, 25, [])).result, 'ok', `not returned at age ${age}`);
  }
  t.is(verdict(h, search(ageIs(3), 20, 25, [obj('k', { age: 3 })])).result, 'illegal', 'a value nobody wrote');
});

test('a key that matched throughout but was not returned is flagged', (t) => {
  const h = [write('k', put({ age: 1 }), 0, 5, SUCCESS), write('k', put({ age: 2 }), 10, 15, SUCCESS), write('other', put({ age: 1 }), 0, 5, SUCCESS)];
  const v = verdict(h, search(ageIs(2), 20, 25, []));
  t.is(v.result, 'illegal');
  t.deepEqual(v.violations, ['search [20, 25] in people, key "k": missed; every state it possibly had matched: {first: "", age: 2}']);
  t.deepEqual(v.bounds, { low: 1, high: 1 });
});

test('a returned object in a state the key had, but not matching the predicate, is flagged', (t) => {
  const h = [write('k', put({ age: 2 }), 0, 5, SUCCESS)];
  const v = verdict(h, search(ageIs(5), 20, 25, [obj('k', { age: 2 })]));
  t.is(v.result, 'illegal');
  t.regex(v.violations[0], /does not satisfy the predicate on "age"/);
});

test('a key nobody wrote is never returned', (t) => {
  const v = verdict([], search([], 0, 5, [obj('ghost', {})]));
  t.is(v.result, 'illegal');
  t.regex(v.violations[0], /key "ghost": returned .* never possibly had then; possible: absent \(no operation on the key\)/);
});

test('counts: within [matched throughout, possibly matched] is accepted, outside is flagged', (t) => {
  const h = [
    write('a', put({ age: 2 }), 0, 5, SUCCESS),
    write('b', put({ age: 1 }), 0, 5, SUCCESS),
    write('b', put({ age: 2 }), 10, 30, SUCCESS),
    write('c', put({ age: 1 }), 0, 5, SUCCESS),
  ];
  const index = buildSearchIndex(h);
  for (const n of [1, 2]) {
    const v = checkSearch(index, count(ageIs(2), 20, 25, n));
    t.is(v.result, 'ok');
    t.deepEqual(v.bounds, { low: 1, high: 2 });
  }
  for (const n of [0, 3]) {
    const v = checkSearch(index, count(ageIs(2), 20, 25, n));
    t.is(v.result, 'illegal');
    t.deepEqual(v.violations, [`count [20, 25] in people returned ${n}, outside [1, 2] (keys that matched throughout, that possibly matched)`]);
  }
});

test('the states atomic operations leave depend on their order: every order a history allows is accepted', (t) => {
  // 1, then +1 and *3 concurrently: 2 then 6, or 3 then 4. A single witness order knows only one.
  const h = [
    write('k', put({ age: 1 }), 0, 5, SUCCESS),
    write('k', atomic(FuncOp.NUM_ADD, { age: 1 }), 10, 20, SUCCESS),
    write('k', atomic(FuncOp.NUM_MUL, { age: 3 }), 10, 20, SUCCESS),
  ];
  const index = buildSearchIndex(h);
  const ages = (a: number, b: number) => possibleStates(index.timelines.values().next().value!, a, b).map((s) => showState(PEOPLE, s));
  t.deepEqual(ages(30, 35).sort(), ['{first: "", age: 4}', '{first: "", age: 6}']);
  t.deepEqual(ages(12, 15).sort(), ['{first: "", age: 1}', '{first: "", age: 2}', '{first: "", age: 3}', '{first: "", age: 4}', '{first: "", age: 6}']);
  for (const age of [4, 6]) t.is(checkSearch(index, search(ageIs(age), 30, 35, [obj('k', { age })])).result, 'ok');
  t.is(checkSearch(index, search(ageIs(5), 30, 35, [obj('k', { age: 5 })])).result, 'illegal');
  // A get that saw 3 fixes the order: multiply first, so 6 never existed.
  const fixed = buildSearchIndex([...h, get('k', 12, 13, { age: 3 })]);
  t.is(checkSearch(fixed, search(ageIs(6), 30, 35, [obj('k', { age: 6 })])).result, 'illegal');
  t.is(checkSearch(fixed, search(ageIs(4), 30, 35, [])).result, 'illegal', 'and 4 is then certain');
});

test('a deleted object: flagged after the delete, allowed during it', (t) => {
  const h = [write('k', put({ age: 1 }), 0, 5, SUCCESS), write('k', del(), 10, 15, SUCCESS, 'del')];
  t.is(verdict(h, search(ageIs(1), 20, 25, [obj('k', { age: 1 })])).result, 'illegal');
  t.is(verdict(h, search(ageIs(1), 12, 13, [obj('k', { age: 1 })])).result, 'ok');
  t.is(verdict(h, search(ageIs(1), 12, 13, [])).result, 'ok');
  t.is(verdict(h, search(ageIs(1), 6, 9, [])).result, 'illegal', 'before the delete was called it was there');
});

test('a failed write leaves nothing to see', (t) => {
  const h = [write('k', put({ age: 1 }), 0, 5, SUCCESS), write('k', condPut({ age: 7 }, { age: 2 }), 10, 15, Status.CMPFAIL)];
  t.is(verdict(h, search(ageIs(2), 12, 13, [obj('k', { age: 2 })])).result, 'illegal');
  t.is(verdict(h, search(ageIs(1), 12, 13, [])).result, 'illegal', 'the object stayed matched throughout');
});

test('a write with an unknown outcome may be seen from its call on, or never; a deadline bounds it', (t) => {
  const before = write('k', put({ age: 1 }), 0, 5, SUCCESS);
  const h = [before, write('k', put({ age: 2 }), 10, undefined, undefined)];
  t.is(verdict(h, search(ageIs(2), 20, 25, [obj('k', { age: 2 })])).result, 'ok');
  t.is(verdict(h, search(ageIs(2), 20, 25, [])).result, 'ok');
  t.is(verdict(h, search(ageIs(1), 20, 25, [])).result, 'ok', 'not matched throughout: it may have changed');
  t.is(verdict(h, search(ageIs(2), 2, 8, [obj('k', { age: 2 })])).result, 'illegal', 'not before its call');
  // With a deadline of 8 and a later definite put, it is overwritten before a search at 20.
  const bounded = [before, { ...write('k', put({ age: 2 }), 6, undefined, undefined), deadline: 8 }, write('k', put({ age: 3 }), 10, 12, SUCCESS)];
  t.is(verdict(bounded, search(ageIs(2), 20, 25, [obj('k', { age: 2 })])).result, 'illegal');
  t.is(verdict(bounded, search(ageIs(2), 9, 11, [obj('k', { age: 2 })])).result, 'ok');
});

test('ties are resolved permissively: a write returning at the search call may still be current', (t) => {
  const h = [write('k', put({ age: 1 }), 0, 5, SUCCESS), write('k', put({ age: 2 }), 10, 20, SUCCESS)];
  t.is(verdict(h, search(ageIs(1), 20, 25, [obj('k', { age: 1 })])).result, 'ok');
  t.is(verdict(h, search(ageIs(1), 21, 25, [obj('k', { age: 1 })])).result, 'illegal');
  t.is(verdict([write('k', put({ age: 1 }), 10, 20, SUCCESS)], search(ageIs(1), 20, 25, [])).result, 'ok', 'absent until the tick the first write returned');
  const late = [write('k', put({ age: 1 }), 25, 30, SUCCESS)];
  t.is(verdict(late, search(ageIs(1), 20, 25, [obj('k', { age: 1 })])).result, 'ok', 'called at the tick the search returned');
});

test('absent at first: a key created during the search need not be returned, before it is never', (t) => {
  const h = [write('k', put({ age: 1 }), 10, 20, SUCCESS)];
  t.is(verdict(h, search(ageIs(1), 15, 18, [])).result, 'ok');
  t.is(verdict(h, search(ageIs(1), 0, 5, [obj('k', { age: 1 })])).result, 'illegal');
});

test('keys whose history is not linearizable are undecided: not checked, counted into the upper bound only', (t) => {
  const h = [write('k', put({ age: 1 }), 0, 5, SUCCESS), get('k', 6, 7, { age: 9 }), write('j', put({ age: 1 }), 0, 5, SUCCESS)];
  const index = buildSearchIndex(h);
  t.is([...index.timelines.values()].find((x) => x.key.toString() === 'k')?.decided, 'illegal');
  const v = checkSearch(index, search(ageIs(1), 20, 25, [obj('k', { age: 7 }), obj('j', { age: 1 })]));
  t.is(v.result, 'ok');
  t.is(v.undecidedKeys, 1);
  t.deepEqual(v.bounds, { low: 1, high: 2 });
});

test('a predicate that does not resolve is a programmer error; so is a search returning before its call', (t) => {
  const bad = [{ op: CheckOp.EQUALS, name: 'nope', datatype: 8960, value: Buffer.from('x') }];
  t.throws(() => verdict([], search(bad, 0, 1, [])), { message: /does not resolve/ });
  t.throws(() => verdict([], search([], 5, 4, [])), { message: /before its call/ });
});

// ---- property: a correct system is never flagged -------------------------------------------------

const KEYS = ['a', 'b', 'c'];

/** A random write, by its client's name: put, cond_put, atomic_add or del. */
const request = fc.oneof(
  fc.integer({ min: 0, max: 3 }).map((age) => ({ name: 'put', req: put({ age }) })),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })).map(([c, age]) => ({ name: 'cond_put', req: condPut({ age: c }, { age }) })),
  fc.constant({ name: 'atomic_add', req: atomic(FuncOp.NUM_ADD, { age: 1 }) }),
  fc.constant({ name: 'del', req: del() }),
);

const step = fc.record({
  key: fc.constantFrom(...KEYS),
  op: fc.oneof({ weight: 3, arbitrary: request }, { weight: 1, arbitrary: fc.constant('get' as const) }),
  before: fc.nat(30),
  after: fc.nat(30),
  pending: fc.nat(12),
  dropped: fc.boolean(),
  deadline: fc.boolean(),
});

const searchArb = fc.record({
  call: fc.nat(420),
  length: fc.nat(60),
  age: fc.integer({ min: 0, max: 4 }),
  kind: fc.constantFrom('search' as const, 'count' as const),
  at: fc.array(fc.nat(1000), { minLength: KEYS.length, maxLength: KEYS.length }),
});

type StepValue = {
  key: string;
  op: 'get' | { name: string; req: ReturnType<typeof put> };
  before: number;
  after: number;
  pending: number;
  dropped: boolean;
  deadline: boolean;
};

/**
 * A sequential execution: operation i takes effect at tick 10 i + 5, its interval stretched around
 * that point; some writes never return (they take effect, or with `dropped` never do), some of
 * those with a deadline no earlier than their point. The states each key goes through, with the
 * tick each began.
 */
function execute(steps: readonly StepValue[]) {
  const history: KeyOperation[] = [];
  const timeline = new Map<string, { from: number; state: KeyState }[]>(KEYS.map((k) => [k, [{ from: -Infinity, state: undefined }]]));
  steps.forEach((s, i) => {
    const point = 10 * i + 5;
    const call = point - s.before;
    const states = timeline.get(s.key)!;
    const current = states[states.length - 1].state;
    if (s.op === 'get') {
      const output = current === undefined ? { found: false as const } : { found: true as const, values: current.values };
      history.push({ client: i, input: { kind: 'get', space: PEOPLE, key: Buffer.from(s.key) }, call, ret: point + s.after, output });
      return;
    }
    const input: KeyWrite = { kind: 'write', space: PEOPLE, key: Buffer.from(s.key), request: s.op.req, name: s.op.name };
    const pending = s.pending === 0;
    if (!(pending && s.dropped)) {
      const r = writeOutcome(current, input);
      if (r.tookEffect) states.push({ from: point, state: r.next });
      if (!pending) {
        history.push({ client: i, input, call, ret: point + s.after, output: r.status });
        return;
      }
    }
    history.push({ client: i, input, call, ret: undefined, output: undefined, ...(s.deadline ? { deadline: point + s.after } : {}) });
  });
  return { history, timeline };
}

const stateAt = (states: readonly { from: number; state: KeyState }[], tick: number): KeyState => states.filter((x) => x.from <= tick).pop()!.state;

test('property: a search that reads each key at some instant of its interval is never flagged', (t) => {
  let checked = 0;
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), fc.array(searchArb, { minLength: 1, maxLength: 6 }), (steps, searches) => {
      const { history, timeline } = execute(steps);
      const index = buildSearchIndex(history);
      return searches.every((sa) => {
        const checks = [check('age', sa.age)];
        const call = sa.call;
        const ret = sa.call + sa.length;
        const seen: SearchResultObject[] = [];
        KEYS.forEach((k, i) => {
          const s = stateAt(timeline.get(k)!, call + (sa.at[i] % (sa.length + 1)));
          if (s !== undefined && s.values[1].equals(values({ age: sa.age })[1])) seen.push({ key: Buffer.from(k), values: s.values });
        });
        const op: SearchOperation = sa.kind === 'search' ? { kind: 'search', space: PEOPLE, checks, call, ret, objects: seen } : { kind: 'count', space: PEOPLE, checks, call, ret, count: seen.length };
        const v = checkSearch(index, op);
        checked++;
        if (v.result !== 'ok') t.log(v.violations.join('\n'));
        return v.result === 'ok' && v.undecidedKeys === 0;
      });
    }),
    { seed: SEED, numRuns: 200 },
  );
  t.true(checked > 0);
});
