// What a TypeScript client knows of the cluster (its private configuration), for tests that
// check where things are.

import { Client } from '../../src/client/client';
import { ClusterConfig, findSpace, SpaceLayout } from '../../src/common/config';
import { ConditionWaiters } from '../../src/common/waiters';

/** The layout of a space in the configuration the client holds now. */
export function clientSpaceLayout(c: Client, space: string): SpaceLayout {
  const layout = findSpace((c as unknown as { config: ClusterConfig }).config, space);
  if (!layout) throw new Error(`no space ${space} in the client's configuration`);
  return layout;
}

/**
 * Waits (bounded) until the configuration the client holds satisfies `holds`: woken by each
 * configuration the coordinator pushes to it, not by polling.
 */
export async function waitForClientConfig(c: Client, holds: (config: ClusterConfig) => boolean, timeoutMs: number): Promise<void> {
  const internals = c as unknown as { config: ClusterConfig | undefined; configWaiters: ConditionWaiters };
  const ok = await internals.configWaiters.waitFor(() => internals.config !== undefined && holds(internals.config), timeoutMs);
  if (!ok) throw new Error(`the client's configuration did not reach the expected state within ${timeoutMs} ms`);
}
