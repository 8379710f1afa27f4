// The configuration and space descriptions as the admin commands show them: a JSON form for
// scripts and a text form for people, made from the same view. Pure: no I/O.

import { ClusterConfig, RegionLayout, ServerId, SpaceLayout } from '../common/config';
import { typeName } from '../common/datatypes';
import { ServerState, serverStateName } from '../common/protocol';
import { SpaceSpec, subspacesOf } from '../common/schema';

/** Said wherever replicas are: the chains are computed, but only heads store (issue 17 adds replication). */
export const REPLICATION_NOTE = 'replication is not implemented yet: only the head of each region\'s chain stores its objects';

export function hex64(n: bigint): string {
  return '0x' + n.toString(16).padStart(16, '0');
}

// ---- spaces -----------------------------------------------------------------------------------

export interface SubspaceView {
  readonly index: number;
  readonly attributes: readonly string[];
  readonly regions: number;
  readonly replicas: number;
  readonly tolerates: number;
}

export interface SpaceSpecView {
  readonly name: string;
  readonly key: { readonly name: string; readonly type: string };
  readonly attributes: readonly { readonly name: string; readonly type: string }[];
  readonly subspaces: readonly SubspaceView[];
  readonly regions: number;
}

export function specView(spec: SpaceSpec): SpaceSpecView {
  const subspaces = subspacesOf(spec).map((ss, index) => ({
    index,
    attributes: ss.attributes,
    regions: ss.partitions,
    replicas: ss.replicas,
    tolerates: ss.replicas - 1,
  }));
  return {
    name: spec.name,
    key: { name: spec.key.name, type: typeName(spec.key.type) },
    attributes: spec.attributes.map((a) => ({ name: a.name, type: typeName(a.type) })),
    subspaces,
    regions: subspaces.reduce((n, ss) => n + ss.regions, 0),
  };
}

function subspaceLine(ss: SubspaceView): string {
  const which = ss.index === 0 ? 'key subspace' : `subspace ${ss.index}`;
  // What the space asks for: replication is not built yet (each region is stored by its chain's head alone).
  return `${which}: ${ss.attributes.join(', ')}; ${ss.regions} region(s), ${ss.replicas} replica(s) each asked for (tolerate ${ss.tolerates} failure(s) once replication exists)`;
}

/** A space's schema in a few lines, each indented by `indent`. */
export function formatSpec(v: SpaceSpecView, indent: string): string[] {
  const attrs = v.attributes.length === 0 ? 'none' : v.attributes.map((a) => `${a.name} (${a.type})`).join(', ');
  return [`${indent}key: ${v.key.name} (${v.key.type})`, `${indent}attributes: ${attrs}`, ...v.subspaces.map((ss) => `${indent}${subspaceLine(ss)}`)];
}

// ---- the configuration ------------------------------------------------------------------------

export interface ServerView {
  readonly id: ServerId;
  readonly address: string;
  readonly state: string;
  /** Regions it heads, in every space. */
  readonly heads: number;
}

export interface RegionView {
  readonly id: number;
  /** Per axis, its inclusive bounds as hex. */
  readonly bounds: readonly { readonly attribute: string; readonly lower: string; readonly upper: string }[];
  /** Head first. */
  readonly chain: readonly ServerId[];
  readonly moving?: ServerId;
  /** The head is missing or not available: clients cannot reach the region's objects. */
  readonly unavailable: boolean;
}

export interface ConfigView {
  readonly version: number;
  readonly servers: readonly ServerView[];
  readonly spaces: readonly (SpaceSpecView & { readonly id: number; readonly layout: readonly { readonly index: number; readonly regions: readonly RegionView[] }[] })[];
  readonly stable: boolean;
  readonly unsettled: readonly string[];
}

function headCounts(config: ClusterConfig): Map<ServerId, number> {
  const counts = new Map<ServerId, number>(config.servers.map((s) => [s.id, 0]));
  for (const space of config.spaces)
    for (const ss of space.subspaces)
      for (const r of ss.regions) if (r.replicas.length > 0) counts.set(r.replicas[0], (counts.get(r.replicas[0]) ?? 0) + 1);
  return counts;
}

export function serverViews(config: ClusterConfig): ServerView[] {
  const heads = headCounts(config);
  return config.servers.map((s) => ({ id: s.id, address: `${s.host}:${s.port}`, state: serverStateName(s.state), heads: heads.get(s.id) ?? 0 }));
}

function regionView(config: ClusterConfig, attributes: readonly string[], r: RegionLayout): RegionView {
  const head = r.replicas.length > 0 ? config.servers.find((s) => s.id === r.replicas[0]) : undefined;
  return {
    id: r.id,
    bounds: attributes.map((attribute, axis) => ({ attribute, lower: hex64(r.lower[axis]), upper: hex64(r.upper[axis]) })),
    chain: r.replicas,
    ...(r.moving !== undefined ? { moving: r.moving } : {}),
    unavailable: head === undefined || head.state !== ServerState.AVAILABLE,
  };
}

/**
 * What keeps a configuration from being settled: a region moving to another daemon, or a region
 * without a head (no daemon was available when its space was made). A head that is not available
 * is a state, not a change in progress: it does not count (show-config marks such regions).
 */
export function unsettledRegions(config: ClusterConfig): string[] {
  const out: string[] = [];
  for (const space of config.spaces)
    for (const ss of space.subspaces)
      for (const r of ss.regions) {
        if (r.moving !== undefined) out.push(`region ${r.id} of space ${space.name} is moving from server ${r.replicas[0]} to server ${r.moving}`);
        else if (r.replicas.length === 0) out.push(`region ${r.id} of space ${space.name} has no daemon yet`);
      }
  return out;
}

function spaceView(config: ClusterConfig, space: SpaceLayout): ConfigView['spaces'][number] {
  return {
    id: space.id,
    ...specView(space.spec),
    layout: space.subspaces.map((ss, index) => ({ index, regions: ss.regions.map((r) => regionView(config, ss.attributes, r)) })),
  };
}

export function configView(config: ClusterConfig): ConfigView {
  const unsettled = unsettledRegions(config);
  return { version: config.version, servers: serverViews(config), spaces: config.spaces.map((s) => spaceView(config, s)), stable: unsettled.length === 0, unsettled };
}

// ---- text -------------------------------------------------------------------------------------

/** Rows under a header, each column as wide as its widest cell. */
function table(header: readonly string[], rows: readonly (readonly string[])[], indent: string): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => indent + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)];
}

export function formatServers(servers: readonly ServerView[], indent = ''): string[] {
  if (servers.length === 0) return [`${indent}no server has registered`];
  return table(['ID', 'ADDRESS', 'STATE', 'HEADS'], servers.map((s) => [String(s.id), s.address, s.state, String(s.heads)]), indent);
}

function formatRegion(r: RegionView): string {
  const box = r.bounds.map((b) => `${b.attribute} ${b.lower}..${b.upper}`).join(', ');
  const chain = r.chain.length === 0 ? 'no daemon yet' : `chain ${r.chain.join(' > ')}`;
  const moving = r.moving !== undefined ? `, moving to ${r.moving}` : '';
  const unavailable = r.unavailable && r.chain.length > 0 ? ' (unavailable: its head is not available)' : '';
  return `region ${r.id}: ${box}; ${chain}${moving}${unavailable}`;
}

export function formatConfig(v: ConfigView): string {
  const lines = [`configuration version ${v.version}`, '', 'servers:', ...formatServers(v.servers, '  '), ''];
  if (v.spaces.length === 0) lines.push('no spaces');
  for (const space of v.spaces) {
    lines.push(`space ${space.name} (id ${space.id}), ${space.regions} region(s):`, ...formatSpec(space, '  '));
    for (const ss of space.layout) {
      lines.push(`  regions of ${ss.index === 0 ? 'the key subspace' : `subspace ${ss.index}`}:`);
      for (const r of ss.regions) lines.push(`    ${formatRegion(r)}`);
    }
    lines.push('');
  }
  if (v.spaces.length > 0) lines.push(`note: ${REPLICATION_NOTE}.`);
  lines.push(v.stable ? 'settled: no region is moving' : `not settled: ${v.unsettled.length} region(s) moving or without a daemon`);
  return lines.join('\n') + '\n';
}
