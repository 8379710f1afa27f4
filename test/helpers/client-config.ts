// What a TypeScript client knows of the cluster (its private configuration), for tests that
// check where things are.

import { Client } from '../../src/client/client';
import { ClusterConfig, findSpace, SpaceLayout } from '../../src/common/config';

/** The layout of a space in the configuration the client holds now. */
export function clientSpaceLayout(c: Client, space: string): SpaceLayout {
  const layout = findSpace((c as unknown as { config: ClusterConfig }).config, space);
  if (!layout) throw new Error(`no space ${space} in the client's configuration`);
  return layout;
}
