// The simulator's checkers over one recorded history: every key linearizable (which also says no
// acknowledged write was lost, since every key is read back at the end), every search and count
// within what the history allows.

import { SpaceSpec } from '../common/schema';
import { Status } from '../common/protocol';
import { KeyOperation, keyModel } from './key-model';
import { checkOperations } from './linearizability';
import { buildSearchIndex, checkSearch, SearchOperation, SearchVerdict } from './search-check';
import { HistoryOp } from './workload';

export interface CheckResult {
  readonly ok: boolean;
  /** 'illegal' or 'unknown' (the search ran out of steps), and why; undefined when ok. */
  readonly problem?: string;
  readonly searchesChecked: number;
}

function toKeyOperation(op: HistoryOp, spec: SpaceSpec): KeyOperation | undefined {
  const r = op.request;
  if (r.kind !== 'get' && r.kind !== 'write') return undefined;
  const input = r.kind === 'get' ? { kind: 'get' as const, space: spec, key: r.key } : { kind: 'write' as const, space: spec, key: r.key, request: r };
  if (op.ret === undefined || !op.reply) return { client: op.client, input, call: op.call, ret: undefined, output: undefined };
  // Refused before acting: it did nothing, and says nothing.
  if (op.reply.status === Status.RECONFIGURE || op.reply.status === Status.UNKNOWNSPACE) return undefined;
  if (op.reply.kind === 'get') {
    const output = op.reply.status === Status.SUCCESS ? { found: true as const, values: op.reply.values! } : { found: false as const };
    return { client: op.client, input, call: op.call, ret: op.ret, output };
  }
  return { client: op.client, input, call: op.call, ret: op.ret, output: op.reply.status };
}

function toSearchOperation(op: HistoryOp, spec: SpaceSpec): SearchOperation | undefined {
  const r = op.request;
  if ((r.kind !== 'search' && r.kind !== 'count') || op.ret === undefined || !op.reply) return undefined;
  const base = { space: spec, checks: r.checks, call: op.call, ret: op.ret };
  if (op.reply.kind === 'search') return { ...base, kind: 'search', objects: op.reply.objects };
  if (op.reply.kind === 'count') return { ...base, kind: 'count', count: op.reply.count };
  return undefined;
}

/** Keys with a write whose interval overlaps [call, ret]. */
function keysWrittenDuring(call: number, ret: number, history: readonly HistoryOp[]): Set<string> {
  const keys = new Set<string>();
  for (const h of history)
    if (h.request.kind === 'write' && h.call <= ret && (h.ret === undefined || h.ret >= call)) keys.add(h.request.key.toString('latin1'));
  return keys;
}

/**
 * What this design allows beyond the checker's rule, and no more: a search reads its regions at
 * different moments, so an object that a write moves from a region not yet read to one already
 * read is missed; and a count adds up what each region holds, while an object moving between two
 * regions is in both for a moment (the chain adds before it removes, so that a search reading one
 * region at a time does not miss it; a search's client keeps one result per key, a count cannot).
 * So a key written during the search may be missing, and a count may be off by the keys written
 * during it. Anything else is a violation.
 */
function excused(op: SearchOperation, v: SearchVerdict, history: readonly HistoryOp[]): boolean {
  const written = keysWrittenDuring(op.call, op.ret, history);
  if (op.kind === 'count') return op.count >= v.bounds.low - written.size && op.count <= v.bounds.high + written.size;
  return v.violations.every((line) => {
    const m = /key ("(?:[^"\\]|\\.)*"): missed/.exec(line);
    return m !== null && written.has(JSON.parse(m[1]) as string);
  });
}

export function checkHistory(spec: SpaceSpec, history: readonly HistoryOp[], searches: readonly HistoryOp[]): CheckResult {
  const ops = history.map((h) => toKeyOperation(h, spec)).filter((x): x is KeyOperation => x !== undefined);
  const verdict = checkOperations(keyModel, ops);
  if (verdict.result !== 'ok') return { ok: false, problem: `linearizability ${verdict.result}: ${verdict.detail}`, searchesChecked: 0 };
  const index = buildSearchIndex(ops);
  let checked = 0;
  for (const s of searches) {
    const op = toSearchOperation(s, spec);
    if (!op) continue;
    checked++;
    const v = checkSearch(index, op);
    if (v.result !== 'ok' && !excused(op, v, history)) return { ok: false, problem: `${op.kind} [${op.call}, ${op.ret}]: ${v.violations.join('; ')}`, searchesChecked: checked };
  }
  return { ok: true, searchesChecked: checked };
}
