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
        })),
      })),
    })),
  };
}
