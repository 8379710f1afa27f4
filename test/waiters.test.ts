import test from 'ava';
import { ConditionWaiters } from '../src/common/waiters';

test('waitFor resolves true at once when the condition holds', async (t) => {
  const w = new ConditionWaiters();
  t.true(await w.waitFor(() => true, 1000));
  t.is(w.size, 0);
});

test('waitFor resolves true on the notify that makes the condition hold', async (t) => {
  const w = new ConditionWaiters();
  let version = 1;
  const waiting = w.waitFor(() => version >= 3, 5000);
  version = 2;
  w.notify();
  t.is(w.size, 1, 'still waiting: the condition does not hold yet');
  version = 3;
  w.notify();
  t.true(await waiting);
  t.is(w.size, 0);
});

test('waitFor resolves false at its deadline', async (t) => {
  const w = new ConditionWaiters();
  const started = Date.now();
  t.false(await w.waitFor(() => false, 50));
  t.true(Date.now() - started >= 45);
  t.is(w.size, 0);
});
