// The cluster configuration: what the coordinator publishes and every client and daemon follows.
// Plain data (msgpack-able); every change gets a higher version.

import { Box, boxContains, coordinate } from './hyperspace';
import { SpaceSpec } from './schema';

export type ServerId = number;
export type SpaceId = number;
export type RegionId = number;

export interface ServerInfo {
  readonly id: ServerId;
  readonly host: string;
  readonly port: number;
  /** ServerState.AVAILABLE or ServerState.OFFLINE */
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

/** The key-subspace region that holds a key (its bytes encoded as the key's type). */
export function keyRegion(space: SpaceLayout, key: Buffer): RegionLayout {
  const point = [coordinate(space.spec.key.type, key)];
  const regions = space.subspaces[0].regions;
  // Key-subspace regions are disjoint intervals covering the axis; few enough to scan.
  for (const r of regions) if (boxContains(r, point)) return r;
  throw new Error(`keyRegion: no region of space ${space.name} holds coordinate ${point[0]}`);
}

/** The point of an object in subspace `index`: one coordinate per attribute of the subspace. */
export function pointOf(space: SpaceLayout, index: number, key: Buffer, values: readonly Buffer[]): bigint[] {
  return space.subspaces[index].attributes.map((name) => axisCoordinate(space, name, key, values));
}

/** An object's coordinate on the axis of one attribute (or of the key). */
export function axisCoordinate(space: SpaceLayout, name: string, key: Buffer, values: readonly Buffer[]): bigint {
  if (name === space.spec.key.name) return coordinate(space.spec.key.type, key);
  const i = space.spec.attributes.findIndex((a) => a.name === name);
  return coordinate(space.spec.attributes[i].type, values[i]);
}

/** The region of subspace `index` that holds an object. */
export function regionOf(space: SpaceLayout, index: number, key: Buffer, values: readonly Buffer[]): RegionLayout {
  if (index === 0) return keyRegion(space, key);
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
        })),
      })),
    })),
  };
}
