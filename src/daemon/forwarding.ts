// Where a daemon sends on a write it applied to a region. Pure, so that the rule is tested alone
// (test/forwarding.test.ts).

import { RegionLayout, ServerId } from '../common/config';

/**
 * As the region's head: its next head while it moves, else nobody. As its previous head (a late
 * write, taken before the region changed hands and finished before the handoff): its head, even
 * when that head already moves the region on. The head applies the write and copies it onwards in
 * order with the rest of the region; sent straight to the head after it, the write could arrive
 * there before the head's older copy of the key, which would then overwrite it.
 */
export function forwardTargetOf(region: RegionLayout, self: ServerId): ServerId | undefined {
  const head = region.replicas[0];
  if (head === self) return region.moving;
  return head;
}
