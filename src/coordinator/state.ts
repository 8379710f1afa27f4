// The coordinator's state and its transitions. Pure: each function takes a state and returns the
// next one; the process around it persists the state and pushes the new configuration.

import { ClusterConfig, RegionLayout, ServerId, ServerInfo, SpaceLayout, SubspaceLayout } from '../common/config';
import { partitionSubspace } from '../common/hyperspace';
import { PEER_AUTH, ServerState, Status } from '../common/protocol';
import { SpaceSpec } from '../common/schema';
import { balanceSubspace, chainFrom, initialRegions } from './balance';

export interface CoordinatorState {
  readonly config: ClusterConfig;
  /** A daemon's identity token (kept in its data directory) -> its server id. */
  readonly identities: Readonly<Record<string, ServerId>>;
  readonly nextServerId: number;
  readonly nextSpaceId: number;
  readonly nextRegionId: number;
  /**
   * Server id -> its peer key, with which it proves its membership to other daemons. Never part
   * of `config`, which every client receives: only the server itself (DAEMON_REGISTERED) and
   * the registered daemons (PEER_KEYS) are told.
   */
  readonly peerKeys: Readonly<Record<number, Buffer>>;
  /**
   * Region id -> the configuration version in which its current move (`moving`) began: a
   * REGION_MOVED for a copy begun before that belongs to an earlier move (judgeMoveReport).
   */
  readonly moveStarts: Readonly<Record<number, number>>;
}

export const INITIAL_STATE: CoordinatorState = {
  config: { version: 1, servers: [], spaces: [] },
  identities: {},
  nextServerId: 1,
  nextSpaceId: 1,
  nextRegionId: 1,
  peerKeys: {},
  moveStarts: {},
};

function bump(state: CoordinatorState, config: Omit<ClusterConfig, 'version'>, rest: Partial<CoordinatorState> = {}): CoordinatorState {
  return { ...state, ...rest, config: { ...config, version: state.config.version + 1 } };
}

function available(config: ClusterConfig): ServerId[] {
  return config.servers.filter((s) => s.state === ServerState.AVAILABLE).map((s) => s.id).sort((a, b) => a - b);
}

/**
 * A daemon announces itself. The same token always gets the same server id back, and the same
 * peer key: `freshKey` (random bytes from the caller) becomes the key of a server that has none.
 */
export function registerServer(
  state: CoordinatorState,
  token: string,
  host: string,
  port: number,
  freshKey: Buffer,
): { state: CoordinatorState; serverId: ServerId; keysChanged: boolean } {
  if (freshKey.length !== PEER_AUTH.keyBytes) throw new Error(`registerServer: a peer key has ${PEER_AUTH.keyBytes} bytes, got ${freshKey.length}`);
  const known = state.identities[token];
  const serverId = known ?? state.nextServerId;
  const listed = state.config.servers.find((s) => s.id === serverId);
  const keysChanged = state.peerKeys[serverId] === undefined;
  // Registering again exactly as listed changes nothing: no new version.
  if (!keysChanged && known !== undefined && listed && listed.host === host && listed.port === port && listed.state === ServerState.AVAILABLE)
    return { state, serverId, keysChanged };
  const servers: ServerInfo[] = state.config.servers.filter((s) => s.id !== serverId);
  servers.push({ id: serverId, host, port, state: ServerState.AVAILABLE });
  servers.sort((a, b) => a.id - b.id);
  let next = bump(state, { servers, spaces: state.config.spaces }, {
    identities: { ...state.identities, [token]: serverId },
    nextServerId: known === undefined ? state.nextServerId + 1 : state.nextServerId,
    peerKeys: keysChanged ? { ...state.peerKeys, [serverId]: freshKey } : state.peerKeys,
  });
  next = rebalance(next);
  return { state: trackMoves(state, next), serverId, keysChanged };
}

/**
 * Gives a key to every listed server that has none (a state written before peer keys existed);
 * `freshKey` is called once per such server.
 */
export function withPeerKeys(state: CoordinatorState, freshKey: () => Buffer): CoordinatorState {
  const missing = state.config.servers.filter((s) => state.peerKeys[s.id] === undefined);
  if (missing.length === 0) return state;
  const peerKeys: Record<number, Buffer> = { ...state.peerKeys };
  for (const s of missing) peerKeys[s.id] = freshKey();
  return { ...state, peerKeys };
}

/** Every registered server's peer key, by server id. */
export function peerKeyTable(state: CoordinatorState): Map<ServerId, Buffer> {
  return new Map(Object.entries(state.peerKeys).map(([id, key]) => [Number(id), key]));
}

/** A daemon's connection to the coordinator ended. It keeps its regions, so that it can come back. */
export function serverOffline(state: CoordinatorState, serverId: ServerId): CoordinatorState {
  const s = state.config.servers.find((x) => x.id === serverId);
  if (!s || s.state === ServerState.OFFLINE) return state;
  const servers = state.config.servers.map((x) => (x.id === serverId ? { ...x, state: ServerState.OFFLINE } : x));
  // Moves towards the departed server are cancelled; its own regions wait for it to come back.
  return trackMoves(state, rebalance(bump(state, { servers, spaces: state.config.spaces })));
}

/**
 * Notes in `moveStarts` the version in which each region of `next` began its current move: a
 * region moving in `next` to another destination than in `prev` (or not moving in `prev`)
 * began it in `next`'s version. Regions that do not move have no entry.
 */
export function trackMoves(prev: CoordinatorState, next: CoordinatorState): CoordinatorState {
  if (next.config === prev.config && next.moveStarts === prev.moveStarts) return next;
  const before = new Map<number, number | undefined>();
  for (const space of prev.config.spaces) for (const ss of space.subspaces) for (const r of ss.regions) before.set(r.id, r.moving);
  const moveStarts: Record<number, number> = {};
  let changed = false;
  for (const space of next.config.spaces)
    for (const ss of space.subspaces)
      for (const r of ss.regions) {
        if (r.moving === undefined) continue;
        const since = before.get(r.id) === r.moving ? (next.moveStarts[r.id] ?? prev.config.version) : next.config.version;
        moveStarts[r.id] = since;
        if (next.moveStarts[r.id] !== since) changed = true;
      }
  if (!changed && Object.keys(next.moveStarts).length === Object.keys(moveStarts).length) return next;
  return { ...next, moveStarts };
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
 * repeated report) changes nothing. The caller judges the report first (judgeMoveReport).
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
  return trackMoves(state, bump(state, { servers: state.config.servers, spaces }));
}

/** What to do with a REGION_MOVED. */
export type MoveReportVerdict =
  | { readonly kind: 'complete' }
  /** A report that a legitimate daemon may send late: ignored without an answer. */
  | { readonly kind: 'stale'; readonly why: string }
  /** A report nobody legitimate sends: answered with an error. */
  | { readonly kind: 'refused'; readonly status: number; readonly message: string };

/**
 * Judges a REGION_MOVED. `sender` is the server id the reporting connection registered as
 * (undefined: it did not register). Only the daemon heading the region may report its move; a
 * report is stale when the region no longer moves to `to`, or when the copy it reports began
 * (report.configVersion) before the current move did: the move was cancelled and begun again
 * since, and the writes of the time between did not reach `to`.
 */
export function judgeMoveReport(state: CoordinatorState, report: { regionId: number; to: ServerId; configVersion: number }, sender: ServerId | undefined): MoveReportVerdict {
  const { regionId, to, configVersion } = report;
  if (sender === undefined)
    return { kind: 'refused', status: Status.UNAUTHORIZED, message: `REGION_MOVED is accepted only from the connection of the daemon heading region ${regionId}; this connection did not register as a daemon` };
  if (configVersion > state.config.version)
    return { kind: 'refused', status: Status.BADREQUEST, message: `REGION_MOVED under configuration ${configVersion}, but the newest is ${state.config.version}` };
  let region: RegionLayout | undefined;
  for (const space of state.config.spaces) for (const ss of space.subspaces) region ??= ss.regions.find((r) => r.id === regionId);
  if (!region) return { kind: 'stale', why: `region ${regionId} no longer exists` };
  if (region.replicas[0] !== sender)
    return { kind: 'refused', status: Status.UNAUTHORIZED, message: `server ${sender} does not head region ${regionId} in configuration ${state.config.version}` };
  if (region.moving !== to) return { kind: 'stale', why: `region ${regionId} is not moving to server ${to} in configuration ${state.config.version}` };
  if (!available(state.config).includes(to)) return { kind: 'stale', why: `server ${to} is not available` };
  const since = state.moveStarts[regionId] ?? state.config.version;
  if (configVersion < since) return { kind: 'stale', why: `the copy began in configuration ${configVersion}, before the move of region ${regionId} did (${since})` };
  return { kind: 'complete' };
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
  return { ok: true, state: trackMoves(state, next), notes };
}

export function rmSpace(state: CoordinatorState, name: string): { ok: true; state: CoordinatorState } | { ok: false; reason: string } {
  if (!state.config.spaces.some((s) => s.name === name)) return { ok: false, reason: `no space named ${name}` };
  return { ok: true, state: trackMoves(state, bump(state, { servers: state.config.servers, spaces: state.config.spaces.filter((s) => s.name !== name) })) };
}
