import test from 'ava';

import { KeyedSerializer } from '../src/daemon/serializer';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

test('tasks with one name run one at a time, in arrival order, whatever they take', async (t) => {
  const s = new KeyedSerializer();
  const durations = [30, 1, 20, 0, 10, 5];
  const log: string[] = [];
  let running = 0;
  let mostRunning = 0;
  const results = durations.map((ms, i) =>
    s.run('k', async () => {
      running++;
      mostRunning = Math.max(mostRunning, running);
      log.push(`start ${i}`);
      await sleep(ms);
      log.push(`end ${i}`);
      running--;
      return i * 10;
    }),
  );
  t.deepEqual(await Promise.all(results), [0, 10, 20, 30, 40, 50]);
  t.is(mostRunning, 1);
  t.deepEqual(
    log,
    durations.flatMap((_, i) => [`start ${i}`, `end ${i}`]),
  );
});

test('a task does not start before the earlier one with its name has finished', async (t) => {
  const s = new KeyedSerializer();
  const g = gate();
  let secondStarted = false;
  const first = s.run('k', () => g.promise);
  const second = s.run('k', async () => {
    secondStarted = true;
  });
  for (let i = 0; i < 5; i++) await tick();
  t.false(secondStarted);
  g.open();
  await first;
  await second;
  t.true(secondStarted);
});

test('tasks with different names run concurrently', async (t) => {
  const s = new KeyedSerializer();
  const g = gate();
  const started: string[] = [];
  const done = ['a', 'b', 'c'].map((name) =>
    s.run(name, async () => {
      started.push(name);
      await g.promise;
      return name;
    }),
  );
  for (let i = 0; i < 5; i++) await tick();
  t.deepEqual([...started].sort(), ['a', 'b', 'c'], 'every name started while the others still wait');
  t.is(s.size, 3);
  g.open();
  t.deepEqual(await Promise.all(done), ['a', 'b', 'c']);
});

test('a failing task rejects its own promise and does not block the next', async (t) => {
  const s = new KeyedSerializer();
  const order: string[] = [];
  const failing = s.run('k', async () => {
    await sleep(10);
    order.push('failing');
    throw new Error('boom');
  });
  const throwingSync = s.run('k', (): Promise<number> => {
    order.push('sync');
    throw new Error('sync boom');
  });
  const next = s.run('k', async () => {
    order.push('next');
    return 7;
  });
  await t.throwsAsync(failing, { message: 'boom' });
  await t.throwsAsync(throwingSync, { message: 'sync boom' });
  t.is(await next, 7);
  t.deepEqual(order, ['failing', 'sync', 'next']);
});

test('drain waits for every task queued so far, on every name', async (t) => {
  const s = new KeyedSerializer();
  const finished = new Set<string>();
  const all: Promise<unknown>[] = [];
  for (const [name, ms] of [['a', 25], ['a', 5], ['b', 15], ['c', 0], ['b', 1]] as const) {
    const id = `${name}${all.length}`;
    all.push(
      s.run(name, async () => {
        await sleep(ms);
        finished.add(id);
      }),
    );
  }
  all.push(s.run('a', async () => Promise.reject(new Error('ignored'))).catch(() => finished.add('failed')));
  t.is(s.size, 3);
  await s.drain();
  t.deepEqual([...finished].sort(), ['a0', 'a1', 'b2', 'b4', 'c3', 'failed']);
  t.is(s.size, 0, 'drained names are forgotten');
  await Promise.all(all);
});

test('the map of names empties once tasks finish, also without drain', async (t) => {
  const s = new KeyedSerializer();
  t.is(s.size, 0);
  const p = s.run('x', async () => 1);
  const q = s.run('y', async () => {
    throw new Error('no');
  });
  t.is(s.size, 2);
  t.is(await p, 1);
  await t.throwsAsync(q);
  for (let i = 0; i < 3 && s.size > 0; i++) await tick();
  t.is(s.size, 0);
  // A name used again after it was forgotten still works.
  t.is(await s.run('x', async () => 2), 2);
  await s.drain();
  t.is(s.size, 0);
});

test('drain with nothing queued resolves at once', async (t) => {
  const s = new KeyedSerializer();
  await s.drain();
  t.is(s.size, 0);
});

test('lastWaiting names the tag of the last task still waiting, until it starts', async (t) => {
  const s = new KeyedSerializer();
  const g = gate();
  const first = s.run('k', () => g.promise, 'first');
  t.is(s.lastWaiting('k'), undefined, 'a task that started at once is not waiting');
  const second = s.run('k', async () => s.lastWaiting('k'), 'second');
  t.is(s.lastWaiting('k'), 'second');
  const third = s.run('k', async () => s.lastWaiting('k'), 'third');
  t.is(s.lastWaiting('k'), 'third');
  t.is(s.lastWaiting('other'), undefined);
  g.open();
  await first;
  // When the second starts the third still waits; when the third starts nothing does.
  t.is(await second, 'third');
  t.is(await third, undefined);
  t.is(s.lastWaiting('k'), undefined);
  const g2 = gate();
  const running = s.run('k', () => g2.promise);
  const tagged = s.run('k', () => tick(), 'tagged');
  const untagged = s.run('k', async () => 'done');
  t.is(s.lastWaiting('k'), undefined, 'a task queued without a tag after a tagged one hides its tag');
  g2.open();
  await Promise.all([running, tagged]);
  t.is(await untagged, 'done');
});
