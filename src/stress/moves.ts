// Values that move an object to another region of a one-attribute subspace of strings: the
// replication stress test gives B (or C) a new value that hashes into a region other than the one
// the old value is in, so that every such put takes the object out of one region's chain and
// into another's. Pure: the regions are cut as the coordinator cuts them (partitionSubspace).

import { Box, boxContains, coordinate, partitionSubspace } from '../common/hyperspace';
import { encodeValue } from '../common/values';

const STRING = { kind: 'string' } as const;
/**
 * Candidates tried for a value in another region. With n >= 2 regions each lands in the old one
 * with chance 1/n <= 1/2, so 64 tries all fail with chance at most 2^-64.
 */
const TRIES_MAX = 64;

export class RegionPicker {
  private readonly boxes: readonly Box[];

  constructor(readonly partitions: number) {
    this.boxes = partitionSubspace(1, partitions);
  }

  /** The index of the region (in the coordinator's order) that holds a string value. */
  regionOf(value: string): number {
    const point = [coordinate(STRING, encodeValue(STRING, value))];
    const i = this.boxes.findIndex((b) => boxContains(b, point));
    if (i < 0) throw new Error(`no region holds ${JSON.stringify(value)}`); // the boxes cover the axis
    return i;
  }

  /**
   * A new value, `base` with a suffix, in a region other than that of `current` (in any region
   * when the subspace has one). Unique as long as `base` is.
   */
  valueOutside(base: string, current: string): string {
    if (this.partitions === 1) return base;
    const from = this.regionOf(current);
    for (let t = 0; t < TRIES_MAX; t++) {
      const candidate = `${base}.${t}`;
      if (this.regionOf(candidate) !== from) return candidate;
    }
    throw new Error(`no value of the form ${base}.N for N < ${TRIES_MAX} leaves region ${from}`);
  }
}
