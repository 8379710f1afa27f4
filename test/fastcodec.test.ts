// The daemon's hand-written codecs (src/common/fastcodec.ts) against the general ones: a fast
// decoder either declines (undefined) or agrees with messages.ts, on valid bodies and on mangled
// ones; a fast encoder writes exactly the bytes of encodeFrame with the general body.

import test from 'ava';
import fc from 'fast-check';

import { countSuccessFrame, decodeAtomicFast, decodeGetFast, decodePredicateFast, decodeSearchFast, GetReplyShape, SearchItemsShape, writeSuccessFrame } from '../src/common/fastcodec';
import { encodeBody, encodeFrame, frameOf } from '../src/common/frame';
import * as m from '../src/common/messages';
import { MsgType, Status } from '../src/common/protocol';

const SEED = Number(process.env.FC_SEED ?? Date.now() % 1_000_000);
test.before((t) => t.log(`fast-check seed ${SEED} (FC_SEED to repeat)`));

/** Values around the msgpack length boundaries, and small random ones. */
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.constantFrom(0, 31, 32, 255, 256, 65535, 65536).map((n) => new Uint8Array(n).fill(7)),
);
const buf = bytes.map((u) => Buffer.from(u));
const name = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('v', 'é', 'x'.repeat(31), 'x'.repeat(32), 'x'.repeat(255), 'x'.repeat(256)));
const uint = fc.oneof(fc.nat(300), fc.constantFrom(127, 128, 255, 256, 65535, 65536, 0xffffffff, 2 ** 32, 2 ** 53 - 1));

const check = fc.record({ op: uint, name, datatype: uint, value: buf });
const func = fc.record({ op: uint, name, datatype: uint, value: buf, mapKey: fc.option(fc.record({ datatype: uint, value: buf }), { nil: undefined }) });
const atomic = fc.record({
  configVersion: uint,
  spaceId: uint,
  key: buf,
  flags: uint,
  checks: fc.array(check, { maxLength: 10 }),
  funcs: fc.array(func, { maxLength: 18 }),
});

/** The general decoder's answer: the value, or 'error'. */
function general<T>(decode: () => T): T | 'error' {
  try {
    return decode();
  } catch (e) {
    if (!(e instanceof m.ProtocolError)) throw e;
    return 'error';
  }
}

/** Plain data for comparison: Buffers as hex, no undefined fields. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && (x as { type?: string }).type === 'Buffer' ? Buffer.from((x as { data: number[] }).data).toString('hex') : x)));
}

/** A body with one byte changed, one cut short, or one byte added. */
const mangled = (body: Buffer) =>
  fc.oneof(
    fc.record({ at: fc.nat(body.length - 1), to: fc.integer({ min: 0, max: 255 }) }).map(({ at, to }) => {
      const b = Buffer.from(body);
      b[at] = to;
      return b;
    }),
    fc.nat(body.length - 1).map((n) => body.subarray(0, n)),
    fc.integer({ min: 0, max: 255 }).map((x) => Buffer.concat([body, Buffer.from([x])])),
  );

test('decodeGetFast declines or agrees with decodeGet, on valid and mangled bodies', (t) => {
  let taken = 0;
  fc.assert(
    fc.property(
      fc.record({ configVersion: uint, spaceId: uint, key: buf }).chain((r) => {
        const body = encodeBody(m.encodeGet(r));
        return fc.tuple(fc.constant(body), fc.oneof(fc.constant(body), mangled(body)));
      }),
      ([, body]) => {
        const fast = decodeGetFast(body);
        if (fast === undefined) return;
        taken++;
        t.deepEqual(plain(fast), plain(general(() => m.decodeGet(body))));
      },
    ),
    { seed: SEED, numRuns: 2000 },
  );
  t.true(taken > 0);
  // The common case is taken.
  t.truthy(decodeGetFast(encodeBody(m.encodeGet({ configVersion: 3, spaceId: 1, key: Buffer.from('key') }))));
});

test('decodeAtomicFast declines or agrees with decodeAtomic, on valid and mangled bodies', (t) => {
  let taken = 0;
  fc.assert(
    fc.property(
      atomic.chain((r) => {
        const body = encodeBody(m.encodeAtomic(r));
        return fc.tuple(fc.constant(r), fc.constant(body), fc.oneof(fc.constant(body), mangled(body)));
      }),
      ([r, original, body]) => {
        const fast = decodeAtomicFast(body);
        // A valid request as our encoders write it, with ASCII names and 32-bit integers, is always taken.
        const ascii = [...r.checks, ...r.funcs].every((x) => /^[\x00-\x7f]{0,255}$/.test(x.name));
        if (body === original && ascii && r.configVersion < 2 ** 32 && general(() => m.decodeAtomic(body)) !== 'error') t.not(fast, undefined);
        if (fast === undefined) return;
        taken++;
        t.deepEqual(plain(fast), plain(general(() => m.decodeAtomic(body))));
      },
    ),
    { seed: SEED + 1, numRuns: 2000 },
  );
  t.true(taken > 0);
  const put: m.AtomicRequest = { configVersion: 9, spaceId: 2, key: Buffer.from('k'), flags: 0, checks: [], funcs: [{ op: 1, name: 'v', datatype: 8960, value: Buffer.alloc(100, 1) }] };
  t.deepEqual(plain(decodeAtomicFast(encodeBody(m.encodeAtomic(put)))), plain(put));
});

const predicate = fc.record({
  configVersion: uint,
  spaceId: uint,
  checks: fc.array(check, { maxLength: 10 }),
  subspace: uint,
  regions: fc.oneof(fc.array(uint, { maxLength: 20 }), fc.array(fc.nat(1000), { minLength: 14, maxLength: 300 })),
});
const search = fc.record({ sortBy: fc.oneof(fc.constant(''), name), limit: uint, descending: fc.boolean() }).chain((s) => predicate.map((p) => ({ ...p, ...s })));

test('decodeSearchFast and decodePredicateFast decline or agree with the general decoders, on valid and mangled bodies', (t) => {
  let taken = 0;
  const ascii = (r: { checks: readonly { name: string }[]; configVersion: number }, ...names: string[]) =>
    [...r.checks.map((c) => c.name), ...names].every((x) => /^[\x00-\x7f]{0,255}$/.test(x)) && r.configVersion < 2 ** 32;
  fc.assert(
    fc.property(
      search.chain((r) => {
        const body = encodeBody(m.encodeSearch(r));
        return fc.tuple(fc.constant(r), fc.constant(body), fc.oneof(fc.constant(body), mangled(body)));
      }),
      ([r, original, body]) => {
        const fast = decodeSearchFast(body);
        // A valid request with ASCII names and 32-bit integers, as our clients write it, is taken.
        if (body === original && ascii(r, r.sortBy) && r.limit < 2 ** 32 && general(() => m.decodeSearch(body)) !== 'error') t.not(fast, undefined);
        if (fast === undefined) return;
        taken++;
        t.deepEqual(plain(fast), plain(general(() => m.decodeSearch(body))));
      },
    ),
    { seed: SEED + 4, numRuns: 2000 },
  );
  fc.assert(
    fc.property(
      predicate.chain((r) => {
        const body = encodeBody(m.encodePredicateRequest(r));
        return fc.tuple(fc.constant(r), fc.constant(body), fc.oneof(fc.constant(body), mangled(body)));
      }),
      ([r, original, body]) => {
        const fast = decodePredicateFast(body);
        if (body === original && ascii(r) && general(() => m.decodePredicateRequest(body, 'REQ_COUNT')) !== 'error') t.not(fast, undefined);
        if (fast === undefined) return;
        taken++;
        t.deepEqual(plain(fast), plain(general(() => m.decodePredicateRequest(body, 'REQ_COUNT'))));
      },
    ),
    { seed: SEED + 5, numRuns: 2000 },
  );
  t.true(taken > 0);
});

test('GetReplyShape writes the bytes of encodeFrame(RESP_GET, ...)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.record({ name, datatype: uint.filter((x) => x <= 0xffff), value: buf }), { maxLength: 20 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (attrs, id) => {
      const shape = new GetReplyShape(attrs);
      const want = encodeFrame(MsgType.RESP_GET, id, m.encodeGetResponse({ status: Status.SUCCESS, attrs, message: '' }));
      t.is(frameOf(MsgType.RESP_GET, id, shape.body(attrs.map((a) => a.value))).toString('hex'), want.toString('hex'));
    }),
    { seed: SEED + 2, numRuns: 300 },
  );
});

test('SearchItemsShape writes the bytes of encodeFrame(RESP_SEARCH_ITEMS, ...)', (t) => {
  const schema = fc.array(fc.record({ name, datatype: uint.filter((x) => x <= 0xffff) }), { maxLength: 18 });
  // Object counts across the fixarray/array16 boundary (16), small values so that runs stay quick.
  const small = fc.uint8Array({ maxLength: 12 }).map((u) => Buffer.from(u));
  const case_ = schema.chain((attrs) =>
    fc.tuple(
      fc.constant(attrs),
      fc.oneof(fc.array(fc.tuple(buf, fc.array(buf, { minLength: attrs.length, maxLength: attrs.length })), { maxLength: 4 }),
        fc.array(fc.tuple(small, fc.array(small, { minLength: attrs.length, maxLength: attrs.length })), { minLength: 14, maxLength: 300 })),
    ),
  );
  fc.assert(
    fc.property(case_, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), ([attrs, objects], id) => {
      const shape = new SearchItemsShape(attrs);
      const want = encodeFrame(MsgType.RESP_SEARCH_ITEMS, id, m.encodeSearchItems(objects.map(([key, vs]) => ({ key, attrs: attrs.map((a, i) => ({ ...a, value: vs[i] })) }))));
      const got = shape.frame(MsgType.RESP_SEARCH_ITEMS, id, objects.map(([k]) => k), objects.map(([, vs]) => vs));
      t.is(got.toString('hex'), want.toString('hex'));
      // The same objects as rows of the store: a prefix before each key, and records with a
      // header before values that are each a u32 big-endian length and the bytes.
      const keyStart = 3;
      const rowKeys = objects.map(([k]) => Buffer.concat([Buffer.from('pfx'), k]));
      const records = objects.map(([, vs]) => Buffer.concat([Buffer.from([9, 9]), ...vs.flatMap((v) => [Buffer.from([v.length >>> 24, (v.length >>> 16) & 0xff, (v.length >>> 8) & 0xff, v.length & 0xff]), v])]));
      const rows = shape.frameRows(MsgType.RESP_SEARCH_ITEMS, id, rowKeys, keyStart, records, () => 2);
      t.is(rows.toString('hex'), want.toString('hex'));
      // And from one arena as the memory index keeps rows (key, then the values), from a row on.
      const lead = Buffer.from('junk');
      const parts: Buffer[] = [lead];
      const pos = new Int32Array(3 * (objects.length + 1));
      let at = lead.length;
      objects.forEach(([k], i) => {
        const row = Buffer.concat([k, records[i].subarray(2)]);
        pos.set([at, k.length, at + row.length], 3 * (i + 1));
        parts.push(row);
        at += row.length;
      });
      const arena = Buffer.concat(parts);
      t.is(shape.frameArena(MsgType.RESP_SEARCH_ITEMS, id, arena, pos, 1, objects.length + 1).toString('hex'), want.toString('hex'));
      if (objects.length > 0) {
        const short = Int32Array.from(pos);
        short[5] -= 1;
        t.throws(() => shape.frameArena(MsgType.RESP_SEARCH_ITEMS, id, arena, short, 1, objects.length + 1));
      }
      if (objects.length > 0) {
        // A record with a value more or less than the space has is refused, not sent.
        t.throws(() => shape.frameRows(MsgType.RESP_SEARCH_ITEMS, id, rowKeys, keyStart, records.map((r) => Buffer.concat([r, Buffer.alloc(4)])), () => 2));
      }
    }),
    { seed: SEED + 3, numRuns: 200 },
  );
});

test('countSuccessFrame writes the bytes of encodeFrame with a SUCCESS count response, or declines', (t) => {
  const counts = [0, 1, 127, 128, 255, 256, 1000, 65535, 65536, 0xffffffff, 2 ** 32, 2 ** 53 - 1];
  for (let i = 0; i < 300; i++) counts.push(Math.floor(Math.random() * 2 ** (i % 34)));
  for (const count of counts)
    for (const type of [MsgType.RESP_SEARCH_DONE, MsgType.RESP_COUNT, MsgType.RESP_GROUP_DEL]) {
      const fast = countSuccessFrame(type, 77n, count);
      if (count >= 2 ** 32) {
        t.is(fast, undefined);
        continue;
      }
      t.is(fast?.toString('hex'), encodeFrame(type, 77n, m.encodeCountResponse({ status: Status.SUCCESS, attr: '', message: '', count })).toString('hex'), `count ${count}`);
    }
});

test('writeSuccessFrame writes the bytes of encodeFrame with a SUCCESS write response', (t) => {
  for (const id of [0n, 1n, 255n, 2n ** 63n, 2n ** 64n - 1n])
    for (const type of [MsgType.RESP_ATOMIC, MsgType.RESP_DEL])
      t.is(writeSuccessFrame(type, id).toString('hex'), encodeFrame(type, id, m.encodeWriteResponse({ status: Status.SUCCESS, attr: '', message: '' })).toString('hex'));
});
