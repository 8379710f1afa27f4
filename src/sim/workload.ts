// What the simulated clients do: random key operations (puts, conditional puts, every atomic
// operation, deletes, gets) on a few hot keys, searches and counts, each recorded with the ticks
// of its call and return for the checkers. A client retries what the cluster refused before
// acting (RECONFIGURE) and records an operation whose outcome it never learned as such.

import { ServerId, SpaceLayout } from '../common/config';
import { Datatype } from '../common/datatypes';
import { WireCheck, WireFunc } from '../common/messages';
import { AtomicFlag, CheckOp, FuncOp, Status } from '../common/protocol';
import { writeSet } from '../common/values';
import { ClientReply, ClientRequest } from '../daemon/core/types';
import { SimClient, World } from './world';

export const SPACE = 'space kv key k attributes int n, string s, set(string) tags subspace n subspace s create 4 partitions tolerate 0 failures';

/** One operation as a client saw it. `ret` undefined: the client never learned the outcome. */
export interface HistoryOp {
  readonly client: number;
  readonly request: ClientRequest;
  readonly call: number;
  ret: number | undefined;
  reply: ClientReply | undefined;
  /** The daemon whose reply ended a key operation (scripted scenarios assert on it). */
  servedBy?: ServerId;
}

/** How long a client waits: the defaults suit random runs; scripted scenarios may wait longer. */
export interface ClientPatience {
  readonly replyTimeoutTicks: number;
  readonly attemptsMax: number;
}

/** Ticks a client waits for one reply, and sends of one operation at most (refusals before acting are retried). */
export const DEFAULT_PATIENCE: ClientPatience = { replyTimeoutTicks: 60, attemptsMax: 8 };
const RETRY_DELAY_TICKS = 3;

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f'];
const STRINGS = ['x', 'y', 'z'];

function int64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b;
}

const fn = (name: string, datatype: number, value: Buffer, op: number): WireFunc => ({ name, datatype, value, op });
const check = (name: string, datatype: number, value: Buffer, op: number): WireCheck => ({ name, datatype, value, op });

/** A random write to a key: any of the operations of the manual's chapters 4-6. */
function randomWrite(w: World, space: SpaceLayout, key: Buffer): ClientRequest {
  const r = w.rng;
  const base = { kind: 'write' as const, configVersion: 0, spaceId: space.id, key, checks: [] as WireCheck[] };
  const n = () => int64(r.between(-4, 8));
  const s = () => Buffer.from(r.pick(STRINGS));
  const put = [fn('n', Datatype.INT64, n(), FuncOp.SET), fn('s', Datatype.STRING, s(), FuncOp.SET)];
  switch (r.below(9)) {
    case 0:
    case 1:
      return { ...base, flags: 0, funcs: put };
    case 2:
      return { ...base, flags: AtomicFlag.FAIL_IF_FOUND, funcs: put };
    case 3:
      return { ...base, flags: AtomicFlag.FAIL_IF_NOT_FOUND, checks: [check('n', Datatype.INT64, n(), CheckOp.EQUALS)], funcs: [fn('s', Datatype.STRING, s(), FuncOp.SET)] };
    case 4:
      return { ...base, flags: AtomicFlag.FAIL_IF_NOT_FOUND | AtomicFlag.ERASE, funcs: [] };
    case 5:
      return { ...base, flags: AtomicFlag.FAIL_IF_NOT_FOUND, funcs: [fn('n', Datatype.INT64, int64(r.between(-3, 3)), r.pick([FuncOp.NUM_ADD, FuncOp.NUM_SUB, FuncOp.NUM_MUL, FuncOp.NUM_DIV, FuncOp.NUM_MOD, FuncOp.NUM_AND, FuncOp.NUM_OR, FuncOp.NUM_XOR]))] };
    case 6:
      return { ...base, flags: AtomicFlag.FAIL_IF_NOT_FOUND, funcs: [fn('s', Datatype.STRING, s(), r.pick([FuncOp.STRING_APPEND, FuncOp.STRING_PREPEND]))] };
    case 7:
      return { ...base, flags: AtomicFlag.FAIL_IF_NOT_FOUND, funcs: [fn('tags', Datatype.SET_STRING, writeSet('string', [Buffer.from(r.pick(STRINGS))]), r.pick([FuncOp.SET_ADD, FuncOp.SET_REMOVE]))] };
    default:
      return { ...base, flags: AtomicFlag.FAIL_IF_NOT_FOUND, checks: [check('s', Datatype.STRING, s(), CheckOp.EQUALS)], funcs: [fn('n', Datatype.INT64, int64(1), FuncOp.NUM_ADD)] };
  }
}

/** A random predicate: an equality on n or s, a range of n, or nothing (everything). */
function randomChecks(w: World): WireCheck[] {
  const r = w.rng;
  switch (r.below(4)) {
    case 0:
      return [check('n', Datatype.INT64, int64(r.between(-4, 8)), CheckOp.EQUALS)];
    case 1:
      return [check('s', Datatype.STRING, Buffer.from(r.pick(STRINGS)), CheckOp.EQUALS)];
    case 2: {
      const lo = r.between(-8, 8);
      return [check('n', Datatype.INT64, int64(lo), CheckOp.GREATER_EQUAL), check('n', Datatype.INT64, int64(lo + r.between(1, 10)), CheckOp.LESS_THAN)];
    }
    default:
      return [];
  }
}

/** A random operation on one of `keys` (the hot keys unless given), or a search or count. */
/** A random operation; `groupDel` false leaves group_del out (scripts that check each key's last put). */
export function randomOperation(w: World, space: SpaceLayout, keys: readonly string[] = KEYS, groupDel = true): ClientRequest {
  const r = w.rng;
  const key = Buffer.from(r.pick(keys));
  const roll = r.below(20);
  if (roll < 11) return randomWrite(w, space, key);
  if (roll < 17) return { kind: 'get', configVersion: 0, spaceId: space.id, key };
  const checks = randomChecks(w);
  // group_del rarely: every key's erase is then an operation of unknown outcome in the history.
  const kind = roll < 19 ? 'search' : r.chance(0.9) || !groupDel ? 'count' : 'group-del';
  return { kind, configVersion: 0, spaceId: space.id, checks, subspace: 0, regions: [] };
}

export function allKeys(): Buffer[] {
  return KEYS.map((k) => Buffer.from(k));
}

const refused = (reply: ClientReply | undefined): boolean => reply !== undefined && reply.status === Status.RECONFIGURE;

/** Runs one key operation to its end: retried while refused, recorded in `history`. */
export function runKeyOperation(
  w: World,
  c: SimClient,
  request: Extract<ClientRequest, { kind: 'get' | 'write' }>,
  history: HistoryOp[],
  done: () => void,
  patience: ClientPatience = DEFAULT_PATIENCE,
): HistoryOp {
  const op: HistoryOp = { client: c.id, request, call: w.now, ret: undefined, reply: undefined };
  history.push(op);
  const attempt = (n: number) => {
    const space = c.config.spaces.find((s) => s.id === request.spaceId);
    const leader = space ? World.leaderOf(space, request.key) : undefined;
    // As real clients do, only an AVAILABLE head is asked; otherwise the client waits for a newer configuration.
    if (!space || leader === undefined || !World.usable(c.config, leader)) {
      if (n + 1 >= patience.attemptsMax) return finish(undefined, true);
      return w.at(RETRY_DELAY_TICKS, () => attempt(n + 1));
    }
    w.request(c, leader, { ...request, configVersion: c.config.version }, patience.replyTimeoutTicks, (reply) => {
      if (reply) op.servedBy = leader;
      if (refused(reply) && n + 1 < patience.attemptsMax) return w.at(RETRY_DELAY_TICKS, () => attempt(n + 1));
      finish(reply, refused(reply));
    });
  };
  // A write that was refused every time did nothing: its outcome is known. A reply that never came,
  // or a storage failure, leaves it unknown.
  const finish = (reply: ClientReply | undefined, definite: boolean) => {
    const unknown = reply === undefined ? !definite : reply.status === Status.SERVERERROR;
    op.reply = reply ?? { kind: request.kind === 'get' ? 'get' : 'write', status: Status.RECONFIGURE, attr: '', message: 'refused' } as ClientReply;
    op.ret = unknown ? undefined : w.now;
    if (unknown) op.reply = undefined;
    done();
  };
  attempt(0);
  return op;
}

/**
 * Runs a group_del: as a search, then every key of the space is recorded as an erase (with the
 * predicate as its condition) whose outcome is unknown. It may take effect even after the
 * group_del returned: an erase parked at a point leader (waiting for a configuration or a
 * handoff) is applied when it is let go.
 */
export function runGroupDel(
  w: World,
  c: SimClient,
  request: Extract<ClientRequest, { kind: 'group-del' }>,
  history: HistoryOp[],
  done: () => void,
  keys: readonly Buffer[] = allKeys(),
  patience: ClientPatience = DEFAULT_PATIENCE,
): void {
  const call = w.now;
  for (const key of keys) {
    const erase: ClientRequest = { kind: 'write', configVersion: 0, spaceId: request.spaceId, key, flags: AtomicFlag.FAIL_IF_NOT_FOUND | AtomicFlag.ERASE, checks: request.checks, funcs: [] };
    history.push({ client: c.id, request: erase, call, ret: undefined, reply: undefined });
  }
  runSearch(w, c, request, [], done, patience);
}

/** Runs a search, count or group_del over every region the planner picks, asking again where refused. */
export function runSearch(
  w: World,
  c: SimClient,
  request: Extract<ClientRequest, { kind: 'search' | 'count' | 'group-del' }>,
  searches: HistoryOp[],
  done: () => void,
  patience: ClientPatience = DEFAULT_PATIENCE,
): HistoryOp {
  const op: HistoryOp = { client: c.id, request, call: w.now, ret: undefined, reply: undefined };
  const objects: { key: Buffer; values: readonly Buffer[] }[] = [];
  let count = 0;
  let pendingRegions: number[] | undefined;
  const attempt = (n: number) => {
    const space = c.config.spaces.find((s) => s.id === request.spaceId);
    if (!space || n >= patience.attemptsMax) return done(); // not answered: nothing to check
    const plan = World.plan(space, request.checks.map((x) => ({ name: x.name, op: x.op, value: x.value })));
    const wanted = new Set(pendingRegions ?? plan.regions.map((r) => r.id));
    const byHead = new Map<number, number[]>();
    for (const r of plan.regions) {
      if (!wanted.has(r.id)) continue;
      const head = r.replicas[0];
      if (head === undefined || !World.usable(c.config, head)) continue;
      byHead.set(head, [...(byHead.get(head) ?? []), r.id]);
    }
    const again: number[] = [...wanted].filter((id) => !plan.regions.some((r) => r.id === id && r.replicas[0] !== undefined && World.usable(c.config, r.replicas[0])));
    let waiting = byHead.size;
    const settle = () => {
      if (--waiting > 0) return;
      if (again.length === 0) {
        op.ret = w.now;
        op.reply = request.kind !== 'search' ? { kind: request.kind, status: Status.SUCCESS, message: '', count } : { kind: 'search', status: Status.SUCCESS, message: '', objects };
        searches.push(op);
        return done();
      }
      pendingRegions = again;
      w.at(RETRY_DELAY_TICKS, () => attempt(n + 1));
    };
    if (waiting === 0) {
      waiting = 1;
      return settle();
    }
    for (const [head, regions] of byHead) {
      w.request(c, head, { ...request, configVersion: c.config.version, subspace: plan.subspace, regions }, patience.replyTimeoutTicks, (reply) => {
        if (reply && reply.status === Status.SUCCESS) {
          // An object moving between two regions is in both for a moment: keep one per key.
          if (reply.kind === 'search') for (const x of reply.objects) if (!objects.some((y) => y.key.equals(x.key))) objects.push(x);
          if (reply.kind === 'count' || reply.kind === 'group-del') count += reply.count;
        } else if (reply || request.kind !== 'group-del') again.push(...regions);
        // A group_del that got no answer may still be deleting: asked again, it could delete an
        // object written after its first run. Only a refusal (it did nothing) is asked again.
        settle();
      });
    }
  };
  attempt(0);
  return op;
}
