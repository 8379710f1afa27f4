// The coordinator's HTTP endpoint (--http-port, and `npm start`): its status page, Prometheus
// /metrics and /healthz on one fastify instance.

import { HttpEndpoint, startHttpEndpoint } from '../common/http-endpoint';
import { Coordinator } from './coordinator';
import { coordinatorRegistry } from './metrics';
import { statusPageRoutes } from './status-page';

export function startCoordinatorHttp(c: Coordinator, host: string, port: number): Promise<HttpEndpoint> {
  return startHttpEndpoint(
    { host, port, registry: coordinatorRegistry(c), health: () => ({ ok: c.healthy, detail: { role: 'coordinator', configVersion: c.configVersion } }) },
    statusPageRoutes(c),
  );
}
