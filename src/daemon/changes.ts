// What a new configuration means for one daemon's regions. Pure: compares two configurations.

import { ClusterConfig, RegionLayout, ServerId, SpaceLayout } from '../common/config';
import { RegionAddress } from './core/types';

export interface RegionRef {
  readonly space: SpaceLayout;
  readonly subspace: number;
  readonly region: RegionLayout;
  /** Where the region's records are in the store. */
  readonly address: RegionAddress;
}

export interface RegionChanges {
  /** Regions this daemon heads that started moving to another daemon: copy them there. */
  readonly movesStarted: (RegionRef & { to: ServerId })[];
  /** Regions this daemon headed and no longer does: finish what is in flight, then hand off. */
  readonly lost: (RegionRef & { to: ServerId | undefined })[];
  /** Regions this daemon heads now and did not before: wait for the old head's handoff. */
  readonly gained: (RegionRef & { from: ServerId | undefined })[];
}

/** Every region of a configuration, by id. */
export function regionRefs(config: ClusterConfig): Map<number, RegionRef> {
  const out = new Map<number, RegionRef>();
  for (const space of config.spaces)
    space.subspaces.forEach((ss, subspace) =>
      ss.regions.forEach((region) => out.set(region.id, { space, subspace, region, address: { spaceId: space.id, subspace, regionId: region.id } })),
    );
  return out;
}

export function regionChanges(old: ClusterConfig, next: ClusterConfig, me: ServerId): RegionChanges {
  const before = regionRefs(old);
  const after = regionRefs(next);
  const movesStarted: (RegionRef & { to: ServerId })[] = [];
  const lost: (RegionRef & { to: ServerId | undefined })[] = [];
  const gained: (RegionRef & { from: ServerId | undefined })[] = [];
  for (const [id, now] of after) {
    const was = before.get(id);
    const headNow = now.region.replicas[0];
    const headBefore = was?.region.replicas[0];
    if (headNow === me && now.region.moving !== undefined && was?.region.moving !== now.region.moving) movesStarted.push({ ...now, to: now.region.moving });
    if (headNow === me && headBefore !== me && was) gained.push({ ...now, from: headBefore });
    if (headBefore === me && headNow !== me) lost.push({ ...now, to: headNow });
  }
  return { movesStarted, lost, gained };
}
