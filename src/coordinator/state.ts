// The coordinator's state and its transitions. Pure: each function takes a state and returns the
// next one; the process around it persists the state and pushes the new configuration.

import { ClusterConfig, RegionLayout, ServerId, ServerInfo, SpaceLayout, SubspaceLayout } from '../common/config';
import { partitionSubspace } from '../common/hyperspace';
import { ServerState } from '../common/protocol';
import { SpaceSpec } from '../common/schema';
import { balanceSubspace, chainFrom, initialRegions } from './balance';

export interface CoordinatorState {
  readonly config: ClusterConfig;
  /** A daemon's identity token (kept in its data directory) -> its server id. */
  readonly identities: Readonly<Record<string, ServerId>>;
  readonly nextServerId: number;
  readonly nextSpaceId: number;
  readonly nextRegionId: number;
}

export const INITIAL_STATE: CoordinatorState = {
  config: { version: 1, servers: [], spaces: [] },
  identities: {},
  nextServerId: 1,
  nextSpaceId: 1,
  nextRegionId: 1,
};

function bump(state: CoordinatorState, config: Omit<ClusterConfig, 'version'>, rest: Partial<CoordinatorState> = {}): CoordinatorState {
  return { ...state, ...rest, config: { ...config, version: state.config.version + 1 } };
}

function available(config: ClusterConfig): ServerId[] {
  return config.servers.filter((s) => s.state === ServerState.AVAILABLE).map((s) => s.id).sort((a, b) => a - b);
}

/** A daemon announces itself. The same token always gets the same server id back. */
export function registerServer(
  state: CoordinatorState,
  token: string,
  host: string,
  port: number,
): { state: CoordinatorState; serverId: ServerId } {
  const known = state.identities[token];
  const serverId = known ?? state.nextServerId;
  const listed = state.config.servers.find((s) => s.id === serverId);
  // Registering again exactly as listed changes nothing: no new version.
  if (known !== undefined && listed && listed.host === host && listed.port === port && listed.state === ServerState.AVAILABLE)
    return { state, serverId };
  const servers: ServerInfo[] = state.config.servers.filter((s) => s.id !== serverId);
  servers.push({ id: serverId, host, port, state: ServerState.AVAILABLE });
  servers.sort((a, b) => a.id - b.id);
  let next = bump(state, { servers, spaces: state.config.spaces }, {
    identities: { ...state.identities, [token]: serverId },
    nextServerId: known === undefined ? state.nextServerId + 1 : state.nextServerId,
  });
  next = rebalance(next);
  return { state: next, serverId };
}

/** A daemon's connection to the coordinator ended. It keeps its regions, so that it can come back. */
export function serverOffline(state: CoordinatorState, serverId: ServerId): CoordinatorState {
  const s = state.config.servers.find((x) => x.id === serverId);
  if (!s || s.state === ServerState.OFFLINE) return state;
  const servers = state.config.servers.map((x) => (x.id === serverId ? { ...x, state: ServerState.OFFLINE } : x));
  // Moves towards the departed server are cancelled; its own regions wait for it to come back.
  return rebalance(bump(state, { servers, spaces: state.config.spaces }));
}

/**
 * Places regions without a head and spreads heads evenly over the available daemons, by moves
 * that the daemons carry out by state transfer (see balance.ts). No version bump when nothing moves.
 */
export function rebalance(state: CoordinatorState): CoordinatorState {
  const servers = available(state.config);
  let changed = false;
  const spaces = state.config.spaces.map((space) => {
    const subspaces = space.subspaces.map((ss, si) => {
      const regions = balanceSubspace(ss, servers, replicasOf(space.spec, si));
      if (regions === ss.regions) return ss;
      changed = true;
      return { ...ss, regions };
    });
    return subspaces.every((ss, i) => ss === space.subspaces[i]) ? space : { ...space, subspaces };
  });
  if (!changed) return state;
  return { ...state, config: { ...state.config, spaces } };
}

/**
 * A daemon finished copying a region to `to`: `to` becomes the head. Anything else (a stale or
 * repeated report) changes nothing.
 */
export function completeMove(state: CoordinatorState, regionId: number, to: ServerId): CoordinatorState {
  const servers = available(state.config);
  let changed = false;
  const spaces = state.config.spaces.map((space) => ({
    ...space,
    subspaces: space.subspaces.map((ss, si) => ({
      ...ss,
      regions: ss.regions.map((r) => {
        if (r.id !== regionId || r.moving !== to || !servers.includes(to)) return r;
        changed = true;
        return { id: r.id, lower: r.lower, upper: r.upper, replicas: chainFrom(to, servers, replicasOf(space.spec, si)), handoffFrom: r.replicas[0] };
      }),
    })),
  }));
  if (!changed) return state;
  return bump(state, { servers: state.config.servers, spaces });
}

function replicasOf(spec: SpaceSpec, subspaceIndex: number): number {
  return subspaceIndex === 0 ? spec.keySubspace.replicas : spec.subspaces[subspaceIndex - 1].replicas;
}

export type AddSpaceResult =
  | { ok: true; state: CoordinatorState; notes: string[] }
  | { ok: false; reason: string };

export function addSpace(state: CoordinatorState, spec: SpaceSpec): AddSpaceResult {
  if (state.config.spaces.some((s) => s.name === spec.name)) return { ok: false, reason: `space ${spec.name} already exists` };
  const servers = available(state.config);
  const notes: string[] = [];
  let nextRegionId = state.nextRegionId;
  const wanted = [
    { attributes: [spec.key.name], partitions: spec.keySubspace.partitions, replicas: spec.keySubspace.replicas },
    ...spec.subspaces,
  ];
  const subspaces: SubspaceLayout[] = wanted.map((ss, si) => {
    const boxes: RegionLayout[] = partitionSubspace(ss.attributes.length, ss.partitions).map((box) => ({
      id: nextRegionId++,
      lower: box.lower,
      upper: box.upper,
      replicas: [],
    }));
    // Each subspace starts its round at another daemon, so that small subspaces do not all pile up on the first.
    return { attributes: [...ss.attributes], regions: initialRegions(boxes, servers, ss.replicas, si) };
  });
  const replicasMax = Math.max(...wanted.map((w) => w.replicas));
  if (servers.length === 0) notes.push(`no daemon is available yet: regions get servers as daemons join`);
  else if (servers.length < replicasMax)
    notes.push(`${replicasMax} replicas asked for but ${servers.length} daemon(s) available: each region holds ${servers.length} replica(s)`);
  const space: SpaceLayout = { id: state.nextSpaceId, name: spec.name, spec, subspaces };
  const next = bump(state, { servers: state.config.servers, spaces: [...state.config.spaces, space] }, {
    nextSpaceId: state.nextSpaceId + 1,
    nextRegionId,
  });
  return { ok: true, state: next, notes };
}

export function rmSpace(state: CoordinatorState, name: string): { ok: true; state: CoordinatorState } | { ok: false; reason: string } {
  if (!state.config.spaces.some((s) => s.name === name)) return { ok: false, reason: `no space named ${name}` };
  return { ok: true, state: bump(state, { servers: state.config.servers, spaces: state.config.spaces.filter((s) => s.name !== name) }) };
}
