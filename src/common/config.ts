// The cluster configuration: what the coordinator publishes and every client and daemon follows.
// Plain data (msgpack-able); every change gets a higher version.

import { AttrType } from './datatypes';
import { Box, boxContains, coordinate, coordinateHalves } from './hyperspace';
import { attributeByName, SpaceSpec } from './schema';

export type ServerId = number;
export type SpaceId = number;
export type RegionId = number;

export interface ServerInfo {
  readonly id: ServerId;
  readonly host: string;
  readonly port: number;
  /** A ServerState: only an AVAILABLE server serves; clients treat every other value alike. */
  readonly state: number;
}

export interface RegionLayout extends Box {
  readonly id: RegionId;
  /** The chain: head first. Empty while no server is available to hold the region. */
  readonly replicas: readonly ServerId[];
  /**
   * Set while the region moves to another daemon: the head keeps serving, copies its objects to
   * this server and forwards every write to it, until the coordinator makes it the head.
   */
  readonly moving?: ServerId;
  /**
   * While the region moves: the configuration version in which this move began. A head that
   * copied the region under an earlier version copies it again (the coordinator ignores the report
   * of a copy begun before the move did: the move was cancelled and begun again meanwhile).
   */
  readonly movingSince?: number;
  /**
   * Set when a move completes: the previous head, which finishes the writes it had taken and then
   * hands the region off. Until its handoff (or a bound) the head holds the region's work back.
   */
  readonly handoffFrom?: ServerId;
}

export interface SubspaceLayout {
  /** Attribute names; subspace 0 is the key subspace, whose one attribute is the key. */
  readonly attributes: readonly string[];
  readonly regions: readonly RegionLayout[];
}

export interface SpaceLayout {
  readonly id: SpaceId;
  readonly name: string;
  readonly spec: SpaceSpec;
  readonly subspaces: readonly SubspaceLayout[];
}

export interface ClusterConfig {
  readonly version: number;
  readonly servers: readonly ServerInfo[];
  readonly spaces: readonly SpaceLayout[];
}

export const EMPTY_CONFIG: ClusterConfig = { version: 0, servers: [], spaces: [] };

export function findSpace(config: ClusterConfig, name: string): SpaceLayout | undefined {
  return config.spaces.find((s) => s.name === name);
}

export function findSpaceById(config: ClusterConfig, id: SpaceId): SpaceLayout | undefined {
  return config.spaces.find((s) => s.id === id);
}

export function findServer(config: ClusterConfig, id: ServerId): ServerInfo | undefined {
  return config.servers.find((s) => s.id === id);
}

/**
 * The regions of a one-axis subspace (the key subspace, or a secondary subspace of one attribute)
 * ordered by their lower bound, with both bounds as 32-bit halves: made once per configuration's
 * region list, so that finding an object's region compares numbers, not BigInts (the BigInt
 * coordinate and comparisons showed in the daemon's profiles of gets and puts).
 */
interface AxisBounds {
  readonly regions: readonly RegionLayout[];
  /** Per region in that order: lower hi, lower lo, upper hi, upper lo. */
  readonly bounds: Uint32Array;
}

const axisBoundsOf = new WeakMap<readonly RegionLayout[], AxisBounds>();
const POINT = new Uint32Array(2);

function axisBounds(regions: readonly RegionLayout[]): AxisBounds {
  let ab = axisBoundsOf.get(regions);
  if (ab) return ab;
  const sorted = [...regions].sort((a, b) => (a.lower[0] < b.lower[0] ? -1 : a.lower[0] > b.lower[0] ? 1 : 0));
  const bounds = new Uint32Array(4 * sorted.length);
  sorted.forEach((r, i) => {
    bounds[4 * i] = Number(r.lower[0] >> 32n);
    bounds[4 * i + 1] = Number(r.lower[0] & 0xffff_ffffn);
    bounds[4 * i + 2] = Number(r.upper[0] >> 32n);
    bounds[4 * i + 3] = Number(r.upper[0] & 0xffff_ffffn);
  });
  ab = { regions: sorted, bounds };
  axisBoundsOf.set(regions, ab);
  return ab;
}

/**
 * The region of a one-axis subspace that holds a value (its bytes encoded as `type`), undefined
 * when none does. The regions are disjoint intervals covering the axis: the last one whose lower
 * bound is at most the point holds it, if its upper bound is at least the point.
 */
function regionOnAxis(regions: readonly RegionLayout[], type: AttrType, bytes: Buffer): RegionLayout | undefined {
  const ab = axisBounds(regions);
  const bounds = ab.bounds;
  coordinateHalves(type, bytes, POINT);
  const hi = POINT[0];
  const lo = POINT[1];
  let a = 0;
  let b = ab.regions.length - 1;
  let found = -1;
  while (a <= b) {
    const m = (a + b) >>> 1;
    const lh = bounds[4 * m];
    if (lh < hi || (lh === hi && bounds[4 * m + 1] <= lo)) {
      found = m;
      a = m + 1;
    } else b = m - 1;
  }
  if (found < 0) return undefined;
  const uh = bounds[4 * found + 2];
  return uh > hi || (uh === hi && bounds[4 * found + 3] >= lo) ? ab.regions[found] : undefined;
}

/** The key-subspace region that holds a key (its bytes encoded as the key's type). */
export function keyRegion(space: SpaceLayout, key: Buffer): RegionLayout {
  const r = regionOnAxis(space.subspaces[0].regions, space.spec.key.type, key);
  if (r) return r;
  throw new Error(`keyRegion: no region of space ${space.name} holds coordinate ${coordinate(space.spec.key.type, key)}`);
}

/** The point of an object in subspace `index`: one coordinate per attribute of the subspace. */
export function pointOf(space: SpaceLayout, index: number, key: Buffer, values: readonly Buffer[]): bigint[] {
  return space.subspaces[index].attributes.map((name) => axisCoordinate(space, name, key, values));
}

/** An object's coordinate on the axis of one attribute (or of the key). */
export function axisCoordinate(space: SpaceLayout, name: string, key: Buffer, values: readonly Buffer[]): bigint {
  const a = attributeByName(space.spec, name)!;
  return coordinate(a.attr.type, a.index < 0 ? key : values[a.index]);
}

/** The region of subspace `index` that holds an object. */
export function regionOf(space: SpaceLayout, index: number, key: Buffer, values: readonly Buffer[]): RegionLayout {
  if (index === 0) return keyRegion(space, key);
  const attrs = space.subspaces[index].attributes;
  if (attrs.length === 1) {
    const a = attributeByName(space.spec, attrs[0])!;
    const r = regionOnAxis(space.subspaces[index].regions, a.attr.type, a.index < 0 ? key : values[a.index]);
    if (r) return r;
  }
  const point = pointOf(space, index, key, values);
  for (const r of space.subspaces[index].regions) if (boxContains(r, point)) return r;
  throw new Error(`regionOf: no region of subspace ${index} of ${space.name} holds the point`);
}

/** Every region of a space by id, with its subspace index. */
export function regionsById(space: SpaceLayout): Map<RegionId, { subspace: number; region: RegionLayout }> {
  const out = new Map<RegionId, { subspace: number; region: RegionLayout }>();
  space.subspaces.forEach((ss, i) => ss.regions.forEach((r) => out.set(r.id, { subspace: i, region: r })));
  return out;
}

/** Normalises msgpack's integers (number or bigint) in a decoded configuration. */
export function reviveConfig(raw: unknown): ClusterConfig {
  const c = raw as ClusterConfig;
  const big = (x: unknown): bigint => (typeof x === 'bigint' ? x : BigInt(x as number));
  return {
    version: Number(c.version),
    servers: c.servers.map((s) => ({ id: Number(s.id), host: String(s.host), port: Number(s.port), state: Number(s.state) })),
    spaces: c.spaces.map((sp) => ({
      id: Number(sp.id),
      name: String(sp.name),
      spec: sp.spec,
      subspaces: sp.subspaces.map((ss) => ({
        attributes: ss.attributes,
        regions: ss.regions.map((r) => ({
          id: Number(r.id),
          lower: r.lower.map(big),
          upper: r.upper.map(big),
          replicas: r.replicas.map(Number),
          ...(r.moving !== undefined && r.moving !== null ? { moving: Number(r.moving) } : {}),
          ...(r.movingSince !== undefined && r.movingSince !== null ? { movingSince: Number(r.movingSince) } : {}),
          ...(r.handoffFrom !== undefined && r.handoffFrom !== null ? { handoffFrom: Number(r.handoffFrom) } : {}),
        })),
      })),
    })),
  };
}
