// The model of one HyperDex key (src/sim/key-model.ts) under the linearizability checker, stepping
// the daemon's own applyAtomic: gets, puts, cond_put, put_if_not_exist, del and atomic operations,
// with known and unknown outcomes, and histories that replication bugs would produce.

import test from 'ava';

import { FuncOp, Status } from '../src/common/protocol';
import { checkOperations, Verdict } from '../src/sim/linearizability';
import { KeyInput, keyModel, KeyOperation, KeyOutput, stateKey, valuesFromAttrs, writeOutcome } from '../src/sim/key-model';
import { atomic, condPut, del, get, PEOPLE, put, putIfNotExist, values, write } from './helpers/key-ops';

const { SUCCESS, NOTFOUND, CMPFAIL, OVERFLOW, UNKNOWNATTR } = Status;
const INT64_MAX = 2n ** 63n - 1n;

function check(ops: readonly KeyOperation[]): Verdict<KeyInput, KeyOutput> {
  return checkOperations(keyModel, ops);
}
const result = (ops: readonly KeyOperation[]) => check(ops).result;

test('put then get sees the object; a put names some attributes, the rest take defaults', (t) => {
  const p = write('jane', put({ age: 3 }), 0, 5, SUCCESS, 'put');
  t.is(result([p, get('jane', 6, 8, { age: 3 })]), 'ok');
  t.is(result([p, get('jane', 6, 8, { age: 3, first: '' })]), 'ok');
  t.is(result([p, get('jane', 6, 8, { age: 4 })]), 'illegal');
  t.is(result([p, get('jane', 6, 8, null)]), 'illegal');
  const later = write('jane', put({ age: 3 }), 2, 5, SUCCESS);
  t.is(result([get('jane', 0, 1, null), later]), 'ok');
  t.is(result([get('jane', 0, 1, { age: 3 }), later]), 'illegal', 'seen before it was called');
});

test('a second put changes only what it names', (t) => {
  const ops = [write('jane', put({ first: 'Jane', age: 3 }), 0, 5, SUCCESS), write('jane', put({ age: 4 }), 6, 8, SUCCESS)];
  t.is(result([...ops, get('jane', 9, 10, { first: 'Jane', age: 4 })]), 'ok');
  t.is(result([...ops, get('jane', 9, 10, { age: 4 })]), 'illegal');
});

test('cond_put succeeds when the condition holds, fails with CMPFAIL when not, NOTFOUND without an object', (t) => {
  t.is(result([write('k', condPut({ age: 1 }, { age: 2 }), 0, 1, NOTFOUND)]), 'ok');
  t.is(result([write('k', condPut({ age: 1 }, { age: 2 }), 0, 1, CMPFAIL)]), 'illegal', 'no object: NOTFOUND, not CMPFAIL');
  const base = write('k', put({ age: 1 }), 0, 5, SUCCESS);
  const ok = write('k', condPut({ age: 1 }, { age: 2 }), 6, 8, SUCCESS, 'cond_put');
  const failed = write('k', condPut({ age: 1 }, { age: 3 }), 9, 12, CMPFAIL, 'cond_put');
  t.is(result([base, ok, failed, get('k', 13, 14, { age: 2 })]), 'ok');
  t.is(result([base, ok, write('k', condPut({ age: 1 }, { age: 3 }), 9, 12, SUCCESS)]), 'illegal', 'the condition no longer held');
  t.is(result([base, write('k', condPut({ age: 1 }, { age: 3 }), 6, 8, CMPFAIL)]), 'illegal', 'the condition held');
});

test('put_if_not_exist creates once', (t) => {
  const first = write('k', putIfNotExist({ age: 1 }), 0, 5, SUCCESS);
  t.is(result([first, write('k', putIfNotExist({ age: 2 }), 6, 8, CMPFAIL), get('k', 9, 10, { age: 1 })]), 'ok');
  t.is(result([first, write('k', putIfNotExist({ age: 2 }), 6, 8, SUCCESS)]), 'illegal');
  // Two concurrent creations: exactly one may win.
  t.is(result([write('k', putIfNotExist({ age: 1 }), 0, 5, SUCCESS), write('k', putIfNotExist({ age: 2 }), 0, 5, CMPFAIL)]), 'ok');
  t.is(result([write('k', putIfNotExist({ age: 1 }), 0, 5, SUCCESS), write('k', putIfNotExist({ age: 2 }), 0, 5, SUCCESS)]), 'illegal');
});

test('del then get is not found; del of nothing is NOTFOUND', (t) => {
  const p = write('k', put({ age: 1 }), 0, 5, SUCCESS);
  const d = write('k', del(), 6, 8, SUCCESS, 'del');
  t.is(result([p, d, get('k', 9, 10, null)]), 'ok');
  t.is(result([p, d, get('k', 9, 10, { age: 1 })]), 'illegal');
  t.is(result([p, d, write('k', del(), 9, 10, NOTFOUND)]), 'ok');
  t.is(result([write('k', del(), 0, 1, SUCCESS)]), 'illegal', 'nothing to delete');
});

test('atomic_add with an unknown outcome took effect once or never', (t) => {
  const p = write('k', put({ age: 1 }), 0, 5, SUCCESS);
  const add = write('k', atomic(FuncOp.NUM_ADD, { age: 10 }), 6, undefined, undefined, 'atomic_add');
  t.is(result([p, add, get('k', 20, 22, { age: 11 })]), 'ok');
  t.is(result([p, add, get('k', 20, 22, { age: 1 })]), 'ok');
  t.is(result([p, add, get('k', 20, 22, { age: 21 })]), 'illegal', 'not twice');
  t.is(result([p, add, get('k', 20, 22, { age: 11 }), get('k', 23, 24, { age: 1 })]), 'illegal', 'not undone');
  t.is(result([add, p, get('k', 20, 22, { age: 11 })]), 'ok', 'called on no object, it may still take effect after the put');
});

test('atomic_add: known outcomes, NOTFOUND without an object, OVERFLOW past int64 changes nothing', (t) => {
  t.is(result([write('k', atomic(FuncOp.NUM_ADD, { age: 1 }), 0, 1, NOTFOUND)]), 'ok');
  const p = write('k', put({ age: INT64_MAX }), 0, 5, SUCCESS);
  t.is(result([p, write('k', atomic(FuncOp.NUM_ADD, { age: 1 }), 6, 8, OVERFLOW), get('k', 9, 10, { age: INT64_MAX })]), 'ok');
  t.is(result([p, write('k', atomic(FuncOp.NUM_ADD, { age: 1 }), 6, 8, SUCCESS)]), 'illegal');
  const adds = [write('k', put({ age: 0 }), 0, 1, SUCCESS), write('k', atomic(FuncOp.NUM_ADD, { age: 1 }), 2, 9, SUCCESS), write('k', atomic(FuncOp.NUM_ADD, { age: 1 }), 2, 9, SUCCESS)];
  t.is(result([...adds, get('k', 10, 11, { age: 2 })]), 'ok');
  t.is(result([...adds, get('k', 10, 11, { age: 1 })]), 'illegal', 'a lost update');
});

test('a request the schema refuses is answered without touching the object', (t) => {
  const bad = { flags: 0, checks: [], funcs: [{ op: FuncOp.SET, name: 'nope', datatype: 8960, value: Buffer.from('x') }] };
  t.is(result([write('k', bad, 0, 1, UNKNOWNATTR), get('k', 2, 3, null)]), 'ok');
  t.is(result([write('k', bad, 0, 1, SUCCESS)]), 'illegal');
});

test('two concurrent puts: once a get saw the second, a later get returning the first is illegal', (t) => {
  const a = write('k', put({ age: 1 }), 0, 10, SUCCESS);
  const b = write('k', put({ age: 2 }), 0, 10, SUCCESS);
  t.is(result([a, b, get('k', 12, 14, { age: 1 })]), 'ok', 'either order');
  t.is(result([a, b, get('k', 12, 14, { age: 2 })]), 'ok');
  t.is(result([a, b, get('k', 12, 14, { age: 2 }), get('k', 16, 18, { age: 1 })]), 'illegal');
  // The first put returned before the second was called: after the second, the first is gone.
  t.is(result([write('k', put({ age: 1 }), 0, 4, SUCCESS), write('k', put({ age: 2 }), 5, 10, SUCCESS), get('k', 12, 14, { age: 1 })]), 'illegal');
});

test('keys are independent partitions; a failure names the key, its operations and their times', (t) => {
  const ops = [write('a', put({ age: 1 }), 0, 5, SUCCESS, 'put'), write('b', put({ age: 1 }), 0, 5, SUCCESS, 'put'), get('a', 6, 7, { age: 1 }), get('b', 6, 7, { age: 2 })];
  const v = check(ops);
  t.is(v.result, 'illegal');
  if (v.result === 'ok') return;
  t.is(v.partition, 1);
  t.regex(v.detail, /\[0, 5\] people\/"b" put\(f1 age 1\) -> SUCCESS/);
  t.regex(v.detail, /\[6, 7\] people\/"b" get\(\) -> \{first: "", age: 2\}/);
  t.notRegex(v.detail, /people\/"a"/);
  const ok = check(ops.slice(0, 3));
  t.is(ok.result, 'ok');
  if (ok.result === 'ok') t.is(ok.linearizations.length, 2);
});

test('a get whose outcome is unknown is left out of the search', (t) => {
  const v = check([write('k', put({ age: 1 }), 0, 5, SUCCESS), get('k', 1, undefined, undefined)]);
  t.is(v.result, 'ok');
  if (v.result === 'ok') t.is(v.linearizations[0].length, 1);
});

test('states ignore versions; writeOutcome tells what took effect', (t) => {
  const w = write('k', put({ age: 1 }), 0, 1, SUCCESS).input;
  if (w.kind !== 'write') return t.fail();
  const once = writeOutcome(undefined, w);
  t.deepEqual([once.status, once.tookEffect], [SUCCESS, true]);
  const twice = writeOutcome(once.next, w);
  t.is(stateKey(twice.next), stateKey(once.next), 'the same content is the same state');
  t.is(twice.next?.version, 0);
  const failed = writeOutcome(undefined, write('k', condPut({ age: 1 }, { age: 2 }), 0, 1, NOTFOUND).input as typeof w);
  t.deepEqual([failed.status, failed.tookEffect, failed.next], [NOTFOUND, false, undefined]);
  const erased = writeOutcome(once.next, write('k', del(), 0, 1, SUCCESS).input as typeof w);
  t.deepEqual([erased.status, erased.tookEffect, erased.next], [SUCCESS, true, undefined]);
});

test('outputs of the wrong kind are programmer errors', (t) => {
  t.throws(() => check([{ ...get('k', 0, 1, null), output: SUCCESS }]), { message: /a get's output/ });
  t.throws(() => check([{ ...write('k', put({ age: 1 }), 0, 1, SUCCESS), output: { found: false } }]), { message: /a write's output/ });
});

test('valuesFromAttrs puts wire attributes in schema order', (t) => {
  const v = values({ first: 'x', age: 2 });
  const attrs = [
    { name: 'age', datatype: 8961, value: v[1] },
    { name: 'first', datatype: 8960, value: v[0] },
  ];
  t.deepEqual(valuesFromAttrs(PEOPLE, attrs), v);
  t.is(valuesFromAttrs(PEOPLE, attrs.slice(1)), undefined);
});
