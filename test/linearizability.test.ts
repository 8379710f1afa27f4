// The linearizability checker (src/sim/linearizability.ts) on registers: known histories from the
// literature (Herlihy & Wing, Porcupine's examples), property tests on random sequential executions
// stretched into concurrent histories, the exhaustive explorer against brute force over every
// permutation, and the step budget.

import test from 'ava';
import fc from 'fast-check';

import { checkOperations, checkPartition, Model, Operation, possibleEffects } from '../src/sim/linearizability';

const SEED = Number(process.env.FC_SEED ?? Date.now() % 1_000_000);
test.before((t) => t.log(`fast-check seed ${SEED} (FC_SEED to repeat)`));

// ---- a register, and a map of registers partitioned per key ----------------------------------

type RegIn = { readonly kind: 'write'; readonly value: number } | { readonly kind: 'read' };
/** A read returns the value; a write returns 'ok'. */
type RegOut = number | 'ok';
type RegOp = Operation<RegIn, RegOut>;

const register: Model<number, RegIn, RegOut> = {
  init: () => 0,
  step: (s, i, o) => (i.kind === 'write' ? { ok: true, next: i.value } : { ok: o === undefined || o === s, next: s }),
  key: (s) => String(s),
  describe: (i, o) => `${i.kind === 'write' ? `write(${i.value})` : 'read()'} -> ${o ?? '?'}`,
};

let nextClient = 0;
const w = (value: number, call: number, ret: number | undefined, client = nextClient++): RegOp => ({
  client,
  input: { kind: 'write', value },
  call,
  ret,
  output: ret === undefined ? undefined : 'ok',
});
const r = (value: number | undefined, call: number, ret: number | undefined, client = nextClient++): RegOp => ({
  client,
  input: { kind: 'read' },
  call,
  ret,
  output: value,
});

type KvIn = { readonly key: string; readonly reg: RegIn };
const kv: Model<number, KvIn, RegOut> = {
  init: () => 0,
  step: (s, i, o) => register.step(s, i.reg, o),
  key: (s) => String(s),
  partition: (ops) => {
    const by = new Map<string, Operation<KvIn, RegOut>[]>();
    for (const o of ops) by.set(o.input.key, [...(by.get(o.input.key) ?? []), o]);
    return [...by.values()];
  },
};
const onKey = (key: string, o: RegOp): Operation<KvIn, RegOut> => ({ ...o, input: { key, reg: o.input } });

/**
 * A witness is a linearization: it holds every operation that returned (pending ones may be left
 * out: they never took effect), each once, respects real-time order, and the model accepts it.
 */
function isLinearization<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], order: readonly Operation<I, O>[]): boolean {
  if (new Set(order).size !== order.length || !order.every((o) => ops.includes(o))) return false;
  if (!ops.every((o) => o.ret === undefined || order.includes(o))) return false;
  for (let i = 0; i < order.length; i++)
    for (let j = i + 1; j < order.length; j++) {
      const later = order[i];
      const earlier = order[j];
      if (earlier.ret !== undefined && earlier.ret < later.call) return false;
    }
  let s = model.init();
  for (const o of order) {
    const step = model.step(s, o.input, o.output);
    if (!step.ok) return false;
    s = step.next;
  }
  return true;
}

function verdictOf(ops: readonly RegOp[]): string {
  return checkPartition(register, ops).result;
}

// ---- known histories ---------------------------------------------------------------------------

test('an empty history and a sequential one are linearizable', (t) => {
  t.is(verdictOf([]), 'ok');
  const ops = [w(1, 0, 5), r(1, 6, 8), w(2, 9, 10), r(2, 11, 12)];
  const v = checkPartition(register, ops);
  t.is(v.result, 'ok');
  if (v.result === 'ok') t.deepEqual(v.linearization, ops);
});

test('reads overlapping a write may see the old or the new value, in either order of calls', (t) => {
  // Porcupine's first example: reads of 0 and 100 both overlap the write of 100.
  t.is(verdictOf([w(100, 0, 100), r(100, 25, 75), r(0, 30, 60)]), 'ok');
  t.is(verdictOf([w(1, 0, 10), r(0, 2, 7), r(1, 5, 15)]), 'ok');
});

test('a read that starts after a read of the new value cannot see the old one (Porcupine example 2)', (t) => {
  t.is(verdictOf([w(100, 0, 100), r(100, 25, 75), r(0, 80, 90)]), 'illegal');
});

test('a stale read after a completed write is illegal', (t) => {
  t.is(verdictOf([w(1, 0, 5), r(0, 10, 12)]), 'illegal');
  t.is(verdictOf([w(1, 0, 5), w(2, 6, 9), r(1, 10, 12)]), 'illegal');
});

test('a read of a value never written is illegal', (t) => {
  t.is(verdictOf([r(7, 0, 1)]), 'illegal');
  t.is(verdictOf([w(1, 0, 10), w(2, 0, 10), r(3, 2, 8)]), 'illegal');
});

test('a write seen and then unseen is illegal (new-old inversion)', (t) => {
  t.is(verdictOf([w(1, 0, 100), r(1, 10, 20), r(0, 30, 40)]), 'illegal');
});

test('two concurrent writes: later reads agree on one order', (t) => {
  t.is(verdictOf([w(1, 0, 10), w(2, 0, 10), r(1, 12, 14), r(1, 16, 18)]), 'ok');
  t.is(verdictOf([w(1, 0, 10), w(2, 0, 10), r(2, 12, 14), r(1, 16, 18)]), 'illegal');
});

test('a pending write may make an otherwise illegal read legal', (t) => {
  t.is(verdictOf([r(1, 10, 12)]), 'illegal');
  t.is(verdictOf([w(1, 0, undefined), r(1, 10, 12)]), 'ok');
  // Pending may also mean never: reads of the old value before and after are fine.
  t.is(verdictOf([w(1, 0, 5), w(2, 6, undefined), r(1, 10, 12), r(1, 20, 22)]), 'ok');
});

test('a pending write that was seen cannot be unseen', (t) => {
  t.is(verdictOf([w(1, 0, 5), w(2, 6, undefined), r(2, 10, 12), r(1, 13, 14)]), 'illegal');
});

test('a pending operation is not linearized before its call', (t) => {
  t.is(verdictOf([r(1, 0, 10), w(1, 20, undefined)]), 'illegal');
  t.is(verdictOf([r(1, 0, 20), w(1, 20, undefined)]), 'ok');
});

test('a pending write with a deadline takes effect by then or never', (t) => {
  const pending = (value: number, call: number, deadline: number): RegOp => ({ ...w(value, call, undefined), deadline });
  t.is(verdictOf([pending(1, 0, 15), r(1, 20, 22)]), 'ok');
  t.is(verdictOf([pending(1, 0, 15), r(0, 16, 18), r(1, 20, 22)]), 'illegal', 'not after its deadline');
  t.is(verdictOf([pending(1, 0, 15), r(0, 16, 18), r(0, 20, 22)]), 'ok', 'never is allowed');
  t.is(verdictOf([pending(1, 0, 15), r(1, 15, 18)]), 'ok', 'a call at the deadline tick is concurrent with it');
  const v = checkPartition(register, [pending(1, 0, 15), r(0, 16, 18)]);
  t.is(v.result, 'ok');
  if (v.result === 'ok') t.is(v.linearization.length, 1, 'the witness leaves out the write that never took effect');
});

test('a pending read (unknown output) constrains nothing', (t) => {
  t.is(verdictOf([w(1, 0, 5), r(undefined, 1, undefined), r(1, 6, 7)]), 'ok');
});

test('equal times: a return at the tick of another call is not precedence', (t) => {
  t.is(verdictOf([w(1, 0, 5), r(0, 5, 8)]), 'ok');
  t.is(verdictOf([w(1, 0, 5), r(0, 6, 8)]), 'illegal');
  t.is(verdictOf([w(1, 3, 3), r(0, 3, 3)]), 'ok', 'operations of zero length at one tick are concurrent');
});

test('malformed histories are refused', (t) => {
  t.throws(() => checkPartition(register, [w(1, 5, 4)]), { message: /before its call/ });
  t.throws(() => checkPartition(register, [r(1, 0, undefined)]), { message: /never returned has no output/ });
  t.throws(() => checkPartition(register, [w(1, 0, 1)], { stepsMax: 0 }), { message: /stepsMax/ });
  t.throws(() => checkPartition(register, [{ ...w(1, 5, undefined), deadline: 4 }]), { message: /deadline 4 is before its call/ });
  t.throws(() => checkPartition(register, [{ ...w(1, 5, 6), deadline: 9 }]), { message: /only an operation that never returned/ });
});

test('an illegal verdict names the partition, dumps its operations with times and the longest linearizable prefix', (t) => {
  const ops = [onKey('a', w(1, 0, 5, 1)), onKey('b', w(2, 0, 5, 2)), onKey('a', r(1, 6, 8, 3)), onKey('b', r(0, 6, 8, 4))];
  const v = checkOperations(kv, ops);
  t.is(v.result, 'illegal');
  if (v.result === 'ok') return;
  t.is(v.partition, 1);
  t.regex(v.detail, /client 2 \[0, 5\]/);
  t.regex(v.detail, /client 4 \[6, 8\]/);
  t.notRegex(v.detail, /client 1 /, 'only the failing partition');
  t.regex(v.detail, /longest linearizable prefix \(1 of 2\)/);
  t.regex(v.detail, /state after that prefix: 2/);
});

test('described operations: a pending one shows "..." for its return and "?" for its output', (t) => {
  const v = checkPartition(register, [w(5, 2, undefined, 9), r(4, 3, 4, 8)]);
  t.is(v.result, 'illegal');
  if (v.result === 'ok') return;
  t.regex(v.detail, /#0 client 9 \[2, \.\.\.\] write\(5\) -> \?/);
  t.regex(v.detail, /#1 client 8 \[3, 4\] read\(\) -> 4/);
});

test('partitions: ok gives one witness per partition, each a linearization', (t) => {
  const ops = [onKey('a', w(1, 0, 10)), onKey('b', w(2, 0, 10)), onKey('a', r(1, 5, 12)), onKey('b', r(0, 1, 3)), onKey('c', r(0, 1, 2))];
  const v = checkOperations(kv, ops);
  t.is(v.result, 'ok');
  if (v.result !== 'ok') return;
  t.is(v.linearizations.length, 3);
  for (const lin of v.linearizations) {
    const part = ops.filter((o) => o.input.key === lin[0].input.key);
    t.true(isLinearization(kv, part, lin));
  }
});

// ---- the budget ----------------------------------------------------------------------------------

/** Twelve concurrent writes and then a read of a value none wrote: illegal, but only after trying every order. */
function pathological(): RegOp[] {
  const ops: RegOp[] = [];
  for (let i = 1; i <= 12; i++) ops.push(w(i, 0, 100));
  ops.push(r(99, 200, 201));
  return ops;
}

test('exhausting the step budget gives unknown, not ok or illegal', (t) => {
  const small = checkPartition(register, pathological(), { stepsMax: 50 });
  t.is(small.result, 'unknown');
  t.is(small.steps, 50);
  if (small.result === 'unknown') t.regex(small.detail, /undecided after 50 search steps: 13 operations, 0 never returned/);
  t.is(checkPartition(register, pathological()).result, 'illegal', 'with the default budget it is decided');
  t.is(possibleEffects(register, pathological(), { stepsMax: 50 }).result, 'unknown');
});

test('illegal wins over unknown across partitions, unknown over ok', (t) => {
  const slow = pathological().map((o) => onKey('slow', o));
  const bad = [onKey('bad', r(5, 0, 1))];
  const good = [onKey('good', w(1, 0, 1))];
  const both = checkOperations(kv, [...slow, ...bad, ...good], { stepsMax: 50 });
  t.is(both.result, 'illegal');
  if (both.result !== 'ok') t.is(both.partition, 1);
  const unknown = checkOperations(kv, [...good, ...slow], { stepsMax: 50 });
  t.is(unknown.result, 'unknown');
  if (unknown.result !== 'ok') t.is(unknown.partition, 1);
});

// ---- property tests --------------------------------------------------------------------------

/**
 * A random sequential execution of a register, stretched into a concurrent history: operation i
 * takes effect at tick 10 i + 5, its call is up to `spread` ticks before and its return up to
 * `spread` ticks after (so the interval contains the point). Writes write distinct values (i + 1).
 * Some operations never return: a pending write still takes effect (or, if `dropped`, never does);
 * some pending ones have a deadline, no earlier than their point.
 */
const execution = fc
  .record({
    kinds: fc.array(fc.constantFrom<'write' | 'read'>('write', 'read', 'read'), { minLength: 1, maxLength: 40 }),
    spread: fc.integer({ min: 0, max: 30 }),
    seed: fc.array(fc.record({ before: fc.nat(1000), after: fc.nat(1000), pending: fc.nat(19), dropped: fc.boolean(), deadline: fc.boolean() }), {
      minLength: 40,
      maxLength: 40,
    }),
  })
  .map(({ kinds, spread, seed }) => {
    let value = 0;
    return kinds.map((kind, i): RegOp => {
      const s = seed[i];
      const point = 10 * i + 5;
      const call = point - (s.before % (spread + 1));
      const end = point + (s.after % (spread + 1));
      const pending = s.pending === 0;
      const times = pending ? { call, ret: undefined, ...(s.deadline ? { deadline: end } : {}) } : { call, ret: end };
      if (kind === 'write') {
        if (!(pending && s.dropped)) value = i + 1;
        return { client: i, input: { kind, value: i + 1 }, ...times, output: pending ? undefined : 'ok' };
      }
      return { client: i, input: { kind }, ...times, output: pending ? undefined : value };
    });
  });

test('property: a history stretched from a sequential execution is linearizable, and the witness is a linearization', (t) => {
  fc.assert(
    fc.property(execution, (ops) => {
      const v = checkPartition(register, ops);
      return v.result === 'ok' && isLinearization(register, ops, v.linearization);
    }),
    { seed: SEED, numRuns: 300 },
  );
  t.pass();
});

test('property: a read changed to a value no write produced is illegal', (t) => {
  fc.assert(
    fc.property(execution, fc.nat(), (ops, pick) => {
      const reads = ops.map((_, i) => i).filter((i) => ops[i].input.kind === 'read' && ops[i].ret !== undefined);
      fc.pre(reads.length > 0);
      const i = reads[pick % reads.length];
      const mutated = ops.map((o, j) => (j === i ? { ...o, output: 1_000_000 } : o));
      return checkPartition(register, mutated).result === 'illegal';
    }),
    { seed: SEED, numRuns: 300 },
  );
  t.pass();
});

/** (read, stale value): a write whose value a later completed write definitely replaced before the read was called. */
function staleCandidates(ops: readonly RegOp[]): { read: number; value: number }[] {
  const out: { read: number; value: number }[] = [];
  const writes = ops.filter((o) => o.input.kind === 'write' && o.ret !== undefined);
  ops.forEach((rd, i) => {
    if (rd.input.kind !== 'read' || rd.ret === undefined) return;
    for (const old of writes)
      if (writes.some((w2) => old.ret! < w2.call && w2.ret! < rd.call) && old.input.kind === 'write') out.push({ read: i, value: old.input.value });
  });
  return out;
}

test('property: a read changed to a value overwritten before it was called is illegal', (t) => {
  let tried = 0;
  fc.assert(
    fc.property(execution, fc.nat(), (ops, pick) => {
      const candidates = staleCandidates(ops);
      fc.pre(candidates.length > 0);
      tried++;
      const c = candidates[pick % candidates.length];
      const mutated = ops.map((o, j) => (j === c.read ? { ...o, output: c.value } : o));
      return checkPartition(register, mutated).result === 'illegal';
    }),
    { seed: SEED, numRuns: 300 },
  );
  t.true(tried > 0, 'some generated histories had a definitely stale value to read');
});

// ---- the exhaustive explorer against brute force -----------------------------------------------

/** Writes that returned: the operations that end the state, for Effect.endsBy. */
const endsState = (o: RegOp): boolean => o.input.kind === 'write' && o.ret !== undefined;

/**
 * Every (op index, before, after) on every complete linearization, by trying every permutation:
 * every operation that returned is linearized, a pending one is linearized or dropped (never took
 * effect), and none is placed before an operation that returned before its call. With each, its
 * endsBy: the largest, over those linearizations, earliest return of a returned write after it.
 */
function bruteEffects(ops: readonly RegOp[]): Map<string, number> | 'illegal' {
  const out = new Map<string, number>();
  let any = false;
  const used = new Array<boolean>(ops.length).fill(false);
  const path: { op: number; before: number; after: number }[] = [];
  const go = (s: number): void => {
    if (ops.every((o, i) => used[i] || o.ret === undefined)) {
      any = true;
      path.forEach((e, i) => {
        const endsBy = path.slice(i + 1).reduce((m, x) => (endsState(ops[x.op]) ? Math.min(m, ops[x.op].ret!) : m), Infinity);
        const k = `${e.op}:${e.before}:${e.after}`;
        out.set(k, Math.max(out.get(k) ?? -Infinity, endsBy));
      });
    }
    for (let i = 0; i < ops.length; i++) {
      if (used[i]) continue;
      // i may come next only if no unused operation returned before i was called, and, for a
      // pending i with a deadline, if nothing already placed was called after that deadline.
      if (ops.some((o, j) => !used[j] && j !== i && o.ret !== undefined && o.ret < ops[i].call)) continue;
      const deadline = ops[i].deadline;
      if (deadline !== undefined && path.some((e) => ops[e.op].call > deadline)) continue;
      const step = register.step(s, ops[i].input, ops[i].output);
      if (!step.ok) continue;
      used[i] = true;
      path.push({ op: i, before: s, after: step.next });
      go(step.next);
      path.pop();
      used[i] = false;
    }
  };
  go(register.init());
  return any ? out : 'illegal';
}

test('possibleEffects: an operation that ends the state must have returned', (t) => {
  t.throws(() => possibleEffects(register, [w(1, 0, undefined)], { ends: () => true }), { message: /must have returned/ });
});

test('property: possibleEffects finds exactly the effects of every linearization, and their endsBy (brute force on small histories)', (t) => {
  const small = execution.map((ops) => ops.slice(0, 7));
  const withNoise = fc.tuple(small, fc.array(fc.record({ i: fc.nat(6), v: fc.integer({ min: 0, max: 8 }) }), { maxLength: 2 })).map(([ops, noise]) =>
    // Change a few read outputs at random, so that illegal and barely legal histories occur too.
    ops.map((o, i) => {
      const n = noise.find((x) => x.i === i);
      return n && o.input.kind === 'read' && o.ret !== undefined ? { ...o, output: n.v } : o;
    }),
  );
  fc.assert(
    fc.property(withNoise, (ops) => {
      const brute = bruteEffects(ops);
      const v = possibleEffects(register, ops, { ends: endsState });
      const check = checkPartition(register, ops);
      if (brute === 'illegal') return v.result === 'illegal' && check.result === 'illegal';
      if (v.result !== 'ok' || check.result !== 'ok') return false;
      const found = new Map(v.effects.map((e) => [`${ops.indexOf(e.op)}:${e.before}:${e.after}`, e.endsBy]));
      return found.size === v.effects.length && found.size === brute.size && [...brute].every(([k, endsBy]) => found.get(k) === endsBy);
    }),
    { seed: SEED, numRuns: 400 },
  );
  t.pass();
});
