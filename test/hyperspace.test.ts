import test from 'ava';

import { Box, boxContains, floatCoordinate, int64Coordinate, partitionSubspace } from '../src/common/hyperspace';

const MAX64 = (1n << 64n) - 1n;

/** splitmix64: a seeded generator of 64-bit values, so that every run sees the same samples. */
function prng(seed: bigint): () => bigint {
  let s = seed & MAX64;
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & MAX64;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MAX64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MAX64;
    return z ^ (z >> 31n);
  };
}

const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

// -- coordinates --------------------------------------------------------------------------------

test('int64Coordinate preserves order over the whole int64 range', (t) => {
  const next = prng(1n);
  const edges = [-(2n ** 63n), -(2n ** 63n) + 1n, -(2n ** 53n), -256n, -1n, 0n, 1n, 255n, 256n, 2n ** 53n, 2n ** 63n - 2n, 2n ** 63n - 1n];
  const values = [...edges];
  for (let i = 0; i < 2000; i++) values.push(BigInt.asIntN(64, next()));
  for (let i = 0; i < 500; i++) values.push(BigInt.asIntN(64, next()) >> 48n); // small magnitudes, both signs
  values.sort(cmpBig);
  let prev: bigint | undefined;
  let prevCoord = -1n;
  for (const v of values) {
    const c = int64Coordinate(v);
    t.true(c >= 0n && c <= MAX64, `coordinate of ${v} is outside the axis`);
    if (prev !== undefined) {
      if (v === prev) t.is(c, prevCoord);
      else if (!(c > prevCoord)) t.fail(`int64Coordinate(${prev}) = ${prevCoord} is not below int64Coordinate(${v}) = ${c}`);
    }
    prev = v;
    prevCoord = c;
  }
  t.is(int64Coordinate(-(2n ** 63n)), 0n);
  t.is(int64Coordinate(0n), 2n ** 63n);
  t.is(int64Coordinate(2n ** 63n - 1n), MAX64);
});

test('floatCoordinate preserves order; -0 and 0 are one point', (t) => {
  const next = prng(2n);
  const buf = Buffer.alloc(8);
  const values = [-Infinity, -Number.MAX_VALUE, -1e300, -1, -Number.EPSILON, -Number.MIN_VALUE, -0, 0, Number.MIN_VALUE, 2.2250738585072014e-308, 1, 1 + Number.EPSILON, 1e300, Number.MAX_VALUE, Infinity];
  for (let i = 0; i < 2000; i++) {
    buf.writeBigUInt64LE(next(), 0);
    const x = buf.readDoubleLE(0); // any bit pattern: denormals, huge, tiny, both signs
    if (!Number.isNaN(x)) values.push(x);
  }
  for (let i = 0; i < 500; i++) values.push(Number(BigInt.asIntN(64, next()) >> 40n) / 1024); // ordinary magnitudes
  values.sort((a, b) => a - b);
  for (let i = 1; i < values.length; i++) {
    const a = values[i - 1];
    const b = values[i];
    const ca = floatCoordinate(a);
    const cb = floatCoordinate(b);
    t.true(cb >= 0n && cb <= MAX64);
    if (a === b) {
      if (ca !== cb) t.fail(`${a} and ${b} are equal but have coordinates ${ca} and ${cb}`);
    } else if (!(ca < cb)) t.fail(`floatCoordinate(${a}) = ${ca} is not below floatCoordinate(${b}) = ${cb}`);
  }
  t.is(floatCoordinate(-0), floatCoordinate(0));
  t.true(floatCoordinate(-Number.MIN_VALUE) < floatCoordinate(0));
  t.true(floatCoordinate(0) < floatCoordinate(Number.MIN_VALUE));
  t.true(floatCoordinate(-Infinity) < floatCoordinate(-Number.MAX_VALUE));
  t.true(floatCoordinate(Number.MAX_VALUE) < floatCoordinate(Infinity));
});

// -- partitions ---------------------------------------------------------------------------------

function volume(b: Box): bigint {
  let v = 1n;
  for (let i = 0; i < b.lower.length; i++) v *= b.upper[i] - b.lower[i] + 1n;
  return v;
}

function disjoint(a: Box, b: Box): boolean {
  for (let i = 0; i < a.lower.length; i++) if (a.upper[i] < b.lower[i] || b.upper[i] < a.lower[i]) return true;
  return false;
}

const COUNTS = [1, 2, 3, 4, 5, 8, 256];

for (let dims = 1; dims <= 3; dims++) {
  for (const count of COUNTS) {
    test(`partitionSubspace(${dims}, ${count}) tiles the space`, (t) => {
      const boxes = partitionSubspace(dims, count);
      t.is(boxes.length, count);
      for (const b of boxes) {
        t.is(b.lower.length, dims);
        t.is(b.upper.length, dims);
        for (let i = 0; i < dims; i++) t.true(0n <= b.lower[i] && b.lower[i] <= b.upper[i] && b.upper[i] <= MAX64);
      }
      // No two boxes overlap, and together they are as big as the space: they tile it.
      let overlaps = 0;
      for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) if (!disjoint(boxes[i], boxes[j])) overlaps++;
      t.is(overlaps, 0);
      t.is(
        boxes.reduce((sum, b) => sum + volume(b), 0n),
        (MAX64 + 1n) ** BigInt(dims),
      );
      // Every point, random or on a box's corner, lies in exactly one box.
      const next = prng(BigInt(dims * 1000 + count));
      const points: bigint[][] = [new Array(dims).fill(0n), new Array(dims).fill(MAX64)];
      for (let k = 0; k < 300; k++) points.push(Array.from({ length: dims }, () => next()));
      for (const b of boxes) points.push([...b.lower], [...b.upper]);
      let misplaced = 0;
      for (const p of points) {
        const n = boxes.filter((b) => boxContains(b, p)).length;
        if (n !== 1) misplaced++;
      }
      t.is(misplaced, 0, 'points in no box or in several');
    });
  }
}

test('partitionSubspace: a power-of-two count gives boxes of equal size', (t) => {
  for (let dims = 1; dims <= 3; dims++) {
    for (const count of [1, 2, 4, 8, 16, 256]) {
      const boxes = partitionSubspace(dims, count);
      const want = (MAX64 + 1n) ** BigInt(dims) / BigInt(count);
      t.deepEqual(
        boxes.map(volume).filter((v) => v !== want),
        [],
        `dims ${dims}, count ${count}`,
      );
    }
  }
});

test('partitionSubspace: two boxes halve the first axis', (t) => {
  const [a, b] = partitionSubspace(2, 2);
  t.deepEqual(a, { lower: [0n, 0n], upper: [2n ** 63n - 1n, MAX64] });
  t.deepEqual(b, { lower: [2n ** 63n, 0n], upper: [MAX64, MAX64] });
});

test('partitionSubspace: the cuts go round the axes, so 2^d boxes halve every axis', (t) => {
  const half = 2n ** 63n;
  for (let dims = 1; dims <= 3; dims++) {
    const boxes = partitionSubspace(dims, 2 ** dims);
    for (const b of boxes) for (let i = 0; i < dims; i++) t.is(b.upper[i] - b.lower[i] + 1n, half, `dims ${dims}, axis ${i}`);
  }
});

test('partitionSubspace: bad arguments throw', (t) => {
  t.throws(() => partitionSubspace(0, 1));
  t.throws(() => partitionSubspace(1, 0));
  t.throws(() => partitionSubspace(1.5, 2));
  t.throws(() => partitionSubspace(2, 2.5));
});
