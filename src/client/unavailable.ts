// Why no daemon serves a region now, as a client reports it, and whether waiting can help.

import { ClusterConfig, findServer, RegionLayout, ServerInfo } from '../common/config';
import { ServerState, serverStateName, Status } from '../common/protocol';
import { HyperClientError } from './errors';

export interface Unavailable {
  readonly head?: undefined;
  readonly error: HyperClientError;
  /**
   * Waiting will not help soon: the head has failed (the coordinator changes that only when its
   * daemon registers again) or an operator took it offline (until server-online). Without
   * replication the region's objects are only on its head, so the operation fails at once with
   * this error instead of waiting for a newer configuration until its deadline.
   */
  readonly final: boolean;
}

/** The head of `region` in `config` if it is AVAILABLE, else why the region cannot be served. */
export function regionHead(config: ClusterConfig, region: RegionLayout, spaceName: string): { readonly head: ServerInfo } | Unavailable {
  const what = `no available daemon holds region ${region.id} of space ${spaceName}`;
  const headId = region.replicas[0];
  const waiting = (why: string): Unavailable => ({ error: new HyperClientError(Status.RECONFIGURE, `${what}: ${why}`), final: false });
  if (headId === undefined) return waiting('it has no daemon yet');
  const head = findServer(config, headId);
  if (!head) return waiting(`its head, server ${headId}, is not in configuration ${config.version}`);
  const server = `its head, server ${head.id} at ${head.host}:${head.port}`;
  switch (head.state) {
    case ServerState.AVAILABLE:
      return { head };
    case ServerState.FAILED:
      return {
        error: new HyperClientError(
          Status.RECONFIGURE,
          `${what}: ${server}, has failed (the coordinator has not heard from it within its failure timeout); the region is unavailable until that daemon registers again`,
        ),
        final: true,
      };
    case ServerState.ADMIN_OFFLINE:
      return {
        error: new HyperClientError(Status.RECONFIGURE, `${what}: ${server}, was taken offline by an operator (hyperdex server-online ${head.id} brings it back)`),
        final: true,
      };
    default:
      return waiting(`${server}, is ${serverStateName(head.state)}`);
  }
}
