// The coordinator's state and its transitions. Pure: each function takes a state and returns the
// next one; the process around it persists the state and pushes the new configuration.

import { ClusterConfig, RegionLayout, ServerId, ServerInfo, SpaceLayout, SubspaceLayout } from '../common/config';
import { partitionSubspace } from '../common/hyperspace';
import { PEER_AUTH, ServerState, serverStateName, Status } from '../common/protocol';
import { SpaceSpec, subspacesOf } from '../common/schema';
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
  // An operator's server-offline holds until server-online, whoever connects meanwhile.
  const serverState = listed?.state === ServerState.ADMIN_OFFLINE ? ServerState.ADMIN_OFFLINE : ServerState.AVAILABLE;
  // Registering again exactly as listed changes nothing: no new version.
  if (!keysChanged && known !== undefined && listed && listed.host === host && listed.port === port && listed.state === serverState)
    return { state, serverId, keysChanged };
  const servers: ServerInfo[] = state.config.servers.filter((s) => s.id !== serverId);
  servers.push({ id: serverId, host, port, state: serverState });
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

/**
 * Whether a server in this state is failed when the coordinator stops hearing from it: an
 * AVAILABLE one, or an OFFLINE one (read from an older coordinator's state). An operator's
 * ADMIN_OFFLINE holds whatever happens, and a FAILED one is failed already.
 */
export function failsWhenSilent(serverState: number): boolean {
  return serverState === ServerState.AVAILABLE || serverState === ServerState.OFFLINE;
}

/**
 * The servers the coordinator has not heard from within its failure timeout become FAILED, in one
 * new version. They keep their regions: without replication a region's objects are only on its
 * head, so nothing can move off a failed server; moves towards it are cancelled (rebalance), and
 * new spaces do not place regions on it. Servers that do not fail when silent are left as they are.
 */
export function failServers(state: CoordinatorState, serverIds: readonly ServerId[]): CoordinatorState {
  const failing = new Set(serverIds.filter((id) => state.config.servers.some((s) => s.id === id && failsWhenSilent(s.state))));
  if (failing.size === 0) return state;
  const servers = state.config.servers.map((x) => (failing.has(x.id) ? { ...x, state: ServerState.FAILED } : x));
  return trackMoves(state, rebalance(bump(state, { servers, spaces: state.config.spaces })));
}

/** A new version in which one listed server is in another state, rebalanced (see rebalance). */
function withServerState(state: CoordinatorState, serverId: ServerId, serverState: number): CoordinatorState {
  const servers = state.config.servers.map((x) => (x.id === serverId ? { ...x, state: serverState } : x));
  // Moves towards a server that is no longer available are cancelled; its own regions wait for it
  // to come back (their objects are only there).
  return trackMoves(state, rebalance(bump(state, { servers, spaces: state.config.spaces })));
}

/** What an operator's request about a server did: the next state and a note for the operator, or why it was refused. */
export type ServerChange =
  | { readonly ok: true; readonly state: CoordinatorState; readonly message: string }
  | { readonly ok: false; readonly status: number; readonly reason: string };

/** The regions a server heads, and those moving to it, as "region 4 of space kv". */
export function regionsOf(config: ClusterConfig, serverId: ServerId): { headed: string[]; incoming: string[] } {
  const headed: string[] = [];
  const incoming: string[] = [];
  for (const space of config.spaces)
    for (const ss of space.subspaces)
      for (const r of ss.regions) {
        if (r.replicas[0] === serverId) headed.push(`region ${r.id} of space ${space.name}`);
        if (r.moving === serverId) incoming.push(`region ${r.id} of space ${space.name}`);
      }
  return { headed, incoming };
}

/** Names at most a few regions: a refusal stays one readable line. */
function someRegions(regions: readonly string[]): string {
  const shown = 5;
  return regions.length <= shown ? regions.join(', ') : `${regions.slice(0, shown).join(', ')} and ${regions.length - shown} more`;
}

function findListed(state: CoordinatorState, serverId: ServerId): ServerInfo | ServerChange {
  const s = state.config.servers.find((x) => x.id === serverId);
  if (s) return s;
  const ids = state.config.servers.map((x) => x.id);
  const known = ids.length === 0 ? 'no server is registered' : `the servers are ${ids.join(', ')}`;
  return { ok: false, status: Status.BADREQUEST, reason: `no server ${serverId}: ${known}` };
}

/**
 * server-offline: the operator takes a server out. It gets no new regions and moves towards it are
 * cancelled; the regions it heads stay its own (without replication their objects are only on it,
 * so moving them elsewhere would lose them) and are unavailable to clients until server-online.
 * A move already under way from it completes if its daemon still runs and reports it.
 */
export function takeServerOffline(state: CoordinatorState, serverId: ServerId): ServerChange {
  const s = findListed(state, serverId);
  if ('ok' in s) return s;
  if (s.state === ServerState.ADMIN_OFFLINE) return { ok: true, state, message: `server ${serverId} was already taken offline` };
  const next = withServerState(state, serverId, ServerState.ADMIN_OFFLINE);
  const { headed } = regionsOf(next.config, serverId);
  const message =
    headed.length === 0
      ? `server ${serverId} is offline: it gets no new regions`
      : `server ${serverId} is offline: it gets no new regions, and the ${headed.length} region(s) it heads are unavailable to clients until server-online ${serverId} (their objects are only on it)`;
  return { ok: true, state: next, message };
}

/**
 * server-online: undoes server-offline. The server is AVAILABLE if the coordinator has heard from
 * its daemon within the failure timeout (`heard`), else FAILED until the daemon registers.
 */
export function bringServerOnline(state: CoordinatorState, serverId: ServerId, heard: boolean): ServerChange {
  const s = findListed(state, serverId);
  if ('ok' in s) return s;
  if (s.state !== ServerState.ADMIN_OFFLINE) return { ok: true, state, message: `server ${serverId} was not taken offline (it is ${serverStateName(s.state)}); nothing to do` };
  if (heard) return { ok: true, state: withServerState(state, serverId, ServerState.AVAILABLE), message: `server ${serverId} is available` };
  return {
    ok: true,
    state: withServerState(state, serverId, ServerState.FAILED),
    message: `server ${serverId} is back online, but the coordinator has not heard from its daemon within the failure timeout: it is failed until the daemon registers`,
  };
}

/**
 * server-forget: removes a server from the configuration. Only one whose daemon is not connected
 * and that heads no region (nor is about to): forgetting it then loses nothing. It leaves the
 * chains it was in (not used yet: only heads store), and its peer key is dropped, so other daemons
 * stop trusting it. Its identity token is kept: a daemon started again on its data directory
 * registers under the same id, as a new server.
 */
export function forgetServer(state: CoordinatorState, serverId: ServerId, connected: boolean): ServerChange {
  const s = findListed(state, serverId);
  if ('ok' in s) return s;
  if (connected)
    return { ok: false, status: Status.BADREQUEST, reason: `server ${serverId}'s daemon is connected to the coordinator: stop it before forgetting the server` };
  const { headed, incoming } = regionsOf(state.config, serverId);
  const held = [...headed, ...incoming];
  if (held.length > 0)
    return {
      ok: false,
      status: Status.BADREQUEST,
      reason: `server ${serverId} heads ${held.length} region(s), whose objects are only on it: ${someRegions(held)}; start its daemon again (and server-online ${serverId} if it was taken offline), or remove those spaces, before forgetting it`,
    };
  const spaces = state.config.spaces.map((space) => ({
    ...space,
    subspaces: space.subspaces.map((ss) => ({
      ...ss,
      regions: ss.regions.map((r) => {
        if (!r.replicas.includes(serverId) && r.handoffFrom !== serverId) return r;
        const { handoffFrom, ...rest } = r;
        const kept = handoffFrom === serverId ? rest : r;
        return { ...kept, replicas: r.replicas.filter((id) => id !== serverId) };
      }),
    })),
  }));
  const servers = state.config.servers.filter((x) => x.id !== serverId);
  const peerKeys: Record<number, Buffer> = { ...state.peerKeys };
  delete peerKeys[serverId];
  const next = bump(state, { servers, spaces }, { peerKeys });
  return { ok: true, state: trackMoves(state, rebalance(next)), message: `server ${serverId} is forgotten` };
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
  // Each moving region says in the configuration when its move began (RegionLayout.movingSince).
  let stamped = false;
  const spaces = next.config.spaces.map((space) => {
    const subspaces = space.subspaces.map((ss) => {
      const regions = ss.regions.map((r) => {
        const since = r.moving === undefined ? undefined : moveStarts[r.id];
        if (r.movingSince === since) return r;
        stamped = true;
        const { movingSince: _old, ...rest } = r;
        return since === undefined ? rest : { ...rest, movingSince: since };
      });
      return regions.some((r, i) => r !== ss.regions[i]) ? { ...ss, regions } : ss;
    });
    return subspaces.some((ss, i) => ss !== space.subspaces[i]) ? { ...space, subspaces } : space;
  });
  const config = stamped ? { ...next.config, spaces } : next.config;
  if (!stamped && !changed && Object.keys(next.moveStarts).length === Object.keys(moveStarts).length) return next;
  return { ...next, config, moveStarts };
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
  return subspacesOf(spec)[subspaceIndex].replicas;
}

export type AddSpaceResult =
  | { ok: true; state: CoordinatorState; notes: string[] }
  | { ok: false; reason: string };

export function addSpace(state: CoordinatorState, spec: SpaceSpec): AddSpaceResult {
  if (state.config.spaces.some((s) => s.name === spec.name)) return { ok: false, reason: `space ${spec.name} already exists` };
  const servers = available(state.config);
  const notes: string[] = [];
  let nextRegionId = state.nextRegionId;
  const wanted = subspacesOf(spec);
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
    notes.push(`${replicasMax} replicas asked for but ${servers.length} daemon(s) available: each region's chain lists ${servers.length} daemon(s)`);
  // Nothing may claim replicas that do not exist yet (issue 17 builds replication).
  if (replicasMax > 1) notes.push(`replication is not built yet: each region is stored by the head of its chain alone, so this space tolerates no failure today`);
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
