// The search planner: which regions of which subspace can hold an object matching a predicate.
// Pure. Per subspace, the predicate bounds each axis to an interval (a point for equality, a range
// on the order-preserving axes of int64 and float); a region can match when its box meets every
// interval. The plan takes the subspace with the fewest such regions.

import { SpaceLayout, RegionLayout } from './config';
import { AttrType } from './datatypes';
import { coordinate } from './hyperspace';
import { CheckOp } from './protocol';

const MAX = (1n << 64n) - 1n;

/** A check as the planner needs it: attribute name, operator, canonical value bytes. */
export interface PlanCheck {
  readonly name: string;
  readonly op: number;
  readonly value: Buffer;
}

export interface SearchPlan {
  readonly subspace: number;
  readonly regions: readonly RegionLayout[];
}

/** The interval of an axis that a set of checks on one attribute allows; undefined if empty. */
export function axisInterval(type: AttrType, checks: readonly PlanCheck[]): [bigint, bigint] | undefined {
  let lo = 0n;
  let hi = MAX;
  const ordered = type.kind === 'int64' || type.kind === 'float';
  for (const c of checks) {
    if (c.op === CheckOp.EQUALS) {
      const x = coordinate(type, c.value);
      if (x > lo) lo = x;
      if (x < hi) hi = x;
      continue;
    }
    // Strings and containers are hashed: a range says nothing about where they lie.
    if (!ordered) continue;
    const x = coordinate(type, c.value);
    // Floats: -0 and 0 share one point on the axis but compare as -0 < 0, so strict bounds are
    // taken as inclusive there (a plan may ask a region too many, never one too few).
    const strict = type.kind === 'int64';
    if (c.op === CheckOp.GREATER_EQUAL || (c.op === CheckOp.GREATER_THAN && !strict)) lo = x > lo ? x : lo;
    else if (c.op === CheckOp.GREATER_THAN) lo = x === MAX ? MAX + 1n : x + 1n > lo ? x + 1n : lo;
    else if (c.op === CheckOp.LESS_EQUAL || (c.op === CheckOp.LESS_THAN && !strict)) hi = x < hi ? x : hi;
    else if (c.op === CheckOp.LESS_THAN) hi = x === 0n ? -1n : x - 1n < hi ? x - 1n : hi;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

function typeOf(space: SpaceLayout, name: string): AttrType | undefined {
  if (name === space.spec.key.name) return space.spec.key.type;
  return space.spec.attributes.find((a) => a.name === name)?.type;
}

/** The regions of one subspace that the checks allow. */
export function regionsIntersecting(space: SpaceLayout, subspace: number, checks: readonly PlanCheck[]): RegionLayout[] {
  const ss = space.subspaces[subspace];
  const bounds: ([bigint, bigint] | undefined)[] = ss.attributes.map((name) => {
    const mine = checks.filter((c) => c.name === name);
    return axisInterval(typeOf(space, name)!, mine);
  });
  if (bounds.some((b) => b === undefined)) return [];
  return ss.regions.filter((r) => bounds.every((b, i) => r.lower[i] <= b![1] && b![0] <= r.upper[i]));
}

/** The cheapest plan: the subspace whose intersecting regions are fewest (the key subspace on ties). */
export function planSearch(space: SpaceLayout, checks: readonly PlanCheck[]): SearchPlan {
  let best: SearchPlan | undefined;
  for (let i = 0; i < space.subspaces.length; i++) {
    const regions = regionsIntersecting(space, i, checks);
    if (!best || regions.length < best.regions.length) best = { subspace: i, regions };
  }
  return best!;
}
