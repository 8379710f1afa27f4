// Placing regions on daemons. Pure. Per subspace, heads are spread so that no daemon heads more
// than one region above the mean; when daemons join, regions move from the most loaded daemons to
// the least loaded ones, as few as needed. A region with an available head moves by state transfer
// (its `moving` field names the destination); one without (never placed, or its head is offline
// and so its objects are out of reach anyway) is placed directly.

import { RegionLayout, ServerId, SubspaceLayout } from '../common/config';

/** The chain for a head: the head, then the next available servers in id order. */
export function chainFrom(head: ServerId, servers: readonly ServerId[], replicas: number): ServerId[] {
  const start = servers.indexOf(head);
  const n = Math.min(replicas, servers.length);
  const chain: ServerId[] = [];
  for (let j = 0; j < n; j++) chain.push(servers[(start + j) % servers.length]);
  return chain;
}

/** Initial heads: region i of a subspace goes to server (i + offset) mod n. */
export function initialRegions(regions: readonly RegionLayout[], servers: readonly ServerId[], replicas: number, offset: number): RegionLayout[] {
  if (servers.length === 0) return regions.map((r) => ({ ...r, replicas: [] }));
  return regions.map((r, i) => ({ ...r, replicas: chainFrom(servers[(i + offset) % servers.length], servers, replicas) }));
}

/** Where a region will be headed once its move (if any) completes. */
export function futureHead(r: RegionLayout): ServerId | undefined {
  return r.moving ?? r.replicas[0];
}

/**
 * Rebalances one subspace over the available servers. Returns the same array when nothing changes.
 */
export function balanceSubspace(ss: SubspaceLayout, servers: readonly ServerId[], replicas: number): readonly RegionLayout[] {
  if (servers.length === 0) return ss.regions;
  const live = new Set(servers);
  let regions = [...ss.regions];
  let changed = false;
  // Moves towards a server that is gone are cancelled.
  regions = regions.map((r) => {
    if (r.moving !== undefined && !live.has(r.moving)) {
      changed = true;
      const { moving: _dropped, ...rest } = r;
      return rest;
    }
    return r;
  });
  const load = new Map<ServerId, number>(servers.map((s) => [s, 0]));
  for (const r of regions) {
    const h = futureHead(r);
    if (h !== undefined && live.has(h)) load.set(h, load.get(h)! + 1);
  }
  const least = () => [...load.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0])[0][0];
  // Regions without a live head are placed at once.
  regions = regions.map((r) => {
    const h = r.replicas[0];
    if (h !== undefined && live.has(h)) return r;
    if (h !== undefined) return r; // offline head: its objects are only there; wait for it to return
    const to = least();
    load.set(to, load.get(to)! + 1);
    changed = true;
    return { ...r, replicas: chainFrom(to, servers, replicas) };
  });
  // Move regions from the most to the least loaded until no server heads more than one above another.
  const bound = regions.length; // each pass moves one region; never more passes than regions
  for (let pass = 0; pass < bound; pass++) {
    const sorted = [...load.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const [most, mostLoad] = sorted[0];
    const [fewest, fewestLoad] = sorted[sorted.length - 1];
    if (mostLoad - fewestLoad <= 1) break;
    // Prefer a region that is not already moving; move the last such region of the most loaded server.
    const idx = findLastIndex(regions, (r) => futureHead(r) === most && r.moving === undefined && r.replicas[0] === most);
    if (idx < 0) break;
    regions[idx] = { ...regions[idx], moving: fewest };
    load.set(most, mostLoad - 1);
    load.set(fewest, fewestLoad + 1);
    changed = true;
  }
  return changed ? regions : ss.regions;
}

function findLastIndex<T>(xs: readonly T[], pred: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i])) return i;
  return -1;
}
