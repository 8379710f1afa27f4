// The drift test: the C headers (native/include), as the native addon reports them, must define
// exactly the constants of src/common/protocol.ts and src/common/datatypes.ts — same names, same
// numbers, nothing missing on either side: return codes, datatypes, message types, REQ_ATOMIC's
// flags, func ops, check ops, frame, request and search-batch limits. The Python module's return
// codes (its own table, bindings/python/hyperclient.c) too.

import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';

import { Datatype } from '../src/common/datatypes';
import { loadNative, NativeConstants } from '../src/common/native';
import { AtomicFlag, CheckOp, FRAME, FuncOp, LIMITS, MsgType, SEARCH_BATCH, Status } from '../src/common/protocol';

/** The addon's exports, including those src/common/native.ts does not declare (yet). */
interface NativeExports extends NativeConstants {
  /** `HYPERDEX_ATOMIC_*`, e.g. `ERASE: 4`. */
  readonly atomicFlags: Readonly<Record<string, number>>;
  /** `HYPERDEX_FUNC_*`, e.g. `SET: 1`. */
  readonly funcOps: Readonly<Record<string, number>>;
  /** `HYPERDEX_CHECK_*`, e.g. `EQUALS: 1`. */
  readonly checkOps: Readonly<Record<string, number>>;
  /** `HYPERDEX_SEARCH_BATCH_OBJECTS_MAX`. */
  readonly searchBatchObjectsMax: number;
  /** `HYPERDEX_SEARCH_BATCH_BYTES_MAX`. */
  readonly searchBatchBytesMax: number;
}

const native = (): NativeExports => loadNative() as NativeExports;

function sameTable(
  t: ExecutionContext,
  what: string,
  fromC: Readonly<Record<string, number>>,
  fromTs: Readonly<Record<string, number>>,
): void {
  const cNames = Object.keys(fromC);
  const tsNames = Object.keys(fromTs);
  t.deepEqual(
    tsNames.filter((name) => !Object.hasOwn(fromC, name)),
    [],
    `${what}: names in TypeScript but not in the C headers`,
  );
  t.deepEqual(
    cNames.filter((name) => !Object.hasOwn(fromTs, name)),
    [],
    `${what}: names in the C headers but not in TypeScript`,
  );
  for (const name of tsNames.filter((n) => Object.hasOwn(fromC, n))) {
    t.is(fromC[name], fromTs[name], `${what}.${name}: C has ${fromC[name]}, TypeScript ${fromTs[name]}`);
  }
  t.deepEqual({ ...fromC }, { ...fromTs }, `${what}: C and TypeScript differ`);
}

test('return codes: C enum hyperclient_returncode equals Status', (t) => {
  sameTable(t, 'returncodes', native().returncodes, Status);
});

test("return codes: the Python module's HYPERCLIENT_* constants equal Status", (t) => {
  const dump = 'import hyperclient, json; print(json.dumps({n[len("HYPERCLIENT_"):]: getattr(hyperclient, n) for n in dir(hyperclient) if n.startswith("HYPERCLIENT_")}))';
  const r = spawnSync('python3', ['-c', dump], { encoding: 'utf8', timeout: 30_000 });
  t.is(r.status, 0, r.stderr);
  sameTable(t, 'Python returncodes', JSON.parse(r.stdout) as Record<string, number>, Status);
});

test('datatypes: C enum hyperdatatype equals Datatype', (t) => {
  sameTable(t, 'datatypes', native().datatypes, Datatype);
});

test('message types: C HYPERDEX_MSG_* equal MsgType', (t) => {
  sameTable(t, 'messageTypes', native().messageTypes, MsgType);
});

test('frame constants: C HYPERDEX_FRAME_* equal FRAME.headerBytes and LIMITS.frameBytesMax', (t) => {
  const n = native();
  t.is(n.frameHeaderBytes, FRAME.headerBytes);
  t.is(n.frameBytesMax, LIMITS.frameBytesMax);
});

test('atomic flags: C HYPERDEX_ATOMIC_* equal AtomicFlag', (t) => {
  t.is(typeof native().atomicFlags, 'object', 'the addon exports atomicFlags');
  sameTable(t, 'atomicFlags', native().atomicFlags, AtomicFlag);
});

test('func ops: C HYPERDEX_FUNC_* equal FuncOp', (t) => {
  t.is(typeof native().funcOps, 'object', 'the addon exports funcOps');
  sameTable(t, 'funcOps', native().funcOps, FuncOp);
});

test('check ops: C HYPERDEX_CHECK_* equal CheckOp', (t) => {
  t.is(typeof native().checkOps, 'object', 'the addon exports checkOps');
  sameTable(t, 'checkOps', native().checkOps, CheckOp);
});

test('request limits: C HYPERDEX_ATTRIBUTES_PER_REQUEST_MAX and HYPERDEX_MICRO_OPS_PER_REQUEST_MAX equal LIMITS', (t) => {
  const n = native();
  t.is(n.attributesPerRequestMax, LIMITS.attributesPerRequestMax);
  t.is(n.microOpsPerRequestMax, LIMITS.microOpsPerRequestMax);
  // What the limit promises: at least 65,536, as the original had none.
  t.true(LIMITS.microOpsPerRequestMax >= 65_536);
});

test('search batches: C HYPERDEX_SEARCH_BATCH_* equal SEARCH_BATCH', (t) => {
  const n = native();
  t.is(n.searchBatchObjectsMax, SEARCH_BATCH.objectsMax);
  t.is(n.searchBatchBytesMax, SEARCH_BATCH.bytesMax);
});
