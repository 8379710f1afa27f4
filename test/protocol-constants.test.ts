// The drift test: the C headers (native/include), as the native addon reports them, must define
// exactly the constants of src/common/protocol.ts and src/common/datatypes.ts — same names, same
// numbers, nothing missing on either side.

import test, { type ExecutionContext } from 'ava';

import { Datatype } from '../src/common/datatypes';
import { loadNative } from '../src/common/native';
import { FRAME, LIMITS, MsgType, Status } from '../src/common/protocol';

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
  sameTable(t, 'returncodes', loadNative().returncodes, Status);
});

test('datatypes: C enum hyperdatatype equals Datatype', (t) => {
  sameTable(t, 'datatypes', loadNative().datatypes, Datatype);
});

test('message types: C HYPERDEX_MSG_* equal MsgType', (t) => {
  sameTable(t, 'messageTypes', loadNative().messageTypes, MsgType);
});

test('frame constants: C HYPERDEX_FRAME_* equal FRAME.headerBytes and LIMITS.frameBytesMax', (t) => {
  const native = loadNative();
  t.is(native.frameHeaderBytes, FRAME.headerBytes);
  t.is(native.frameBytesMax, LIMITS.frameBytesMax);
});
