// Per-region state kept in memory by a daemon, looked up by region, space and subspace.

/**
 * Per-region state (of the object cache, of the memory index), found by region id (a number) then
 * by space and subspace: one, unless two spaces or subspaces ever share region ids.
 */
export class RegionTable<T extends { readonly spaceId: number; readonly subspace: number }> {
  private readonly byRegion = new Map<number, T[]>();

  constructor(private readonly make: (spaceId: number, subspace: number) => T) {}

  find(spaceId: number, subspace: number, region: number, create: boolean): T | undefined {
    const list = this.byRegion.get(region);
    if (list) for (const t of list) if (t.spaceId === spaceId && t.subspace === subspace) return t;
    if (!create) return undefined;
    const t = this.make(spaceId, subspace);
    if (list) list.push(t);
    else this.byRegion.set(region, [t]);
    return t;
  }

  /** Takes out the entry of one region, if there is one; returns it. */
  drop(spaceId: number, subspace: number, region: number): T | undefined {
    const list = this.byRegion.get(region);
    const i = list ? list.findIndex((t) => t.spaceId === spaceId && t.subspace === subspace) : -1;
    if (!list || i < 0) return undefined;
    const [t] = list.splice(i, 1);
    if (list.length === 0) this.byRegion.delete(region);
    return t;
  }

  /** Takes out every entry of a space; returns them. */
  dropSpace(spaceId: number): T[] {
    const dropped: T[] = [];
    for (const [region, list] of this.byRegion) {
      const kept = list.filter((t) => t.spaceId !== spaceId);
      if (kept.length === list.length) continue;
      dropped.push(...list.filter((t) => t.spaceId === spaceId));
      if (kept.length === 0) this.byRegion.delete(region);
      else this.byRegion.set(region, kept);
    }
    return dropped;
  }

  /** Every entry. */
  *all(): IterableIterator<T> {
    for (const list of this.byRegion.values()) yield* list;
  }
}
