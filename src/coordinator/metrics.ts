// The coordinator's Prometheus metrics, read at scrape time from its state: the configuration's
// version, servers by state, spaces and regions, daemons connected.

import * as client from 'prom-client';
import { ServerState, serverStateName } from '../common/protocol';
import { Coordinator } from './coordinator';

/** The registry a coordinator's /metrics serves. */
export function coordinatorRegistry(c: Coordinator): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  new client.Gauge({
    name: 'hyperdex_coordinator_config_version',
    help: 'Version of the cluster configuration',
    registers: [registry],
    collect() {
      this.set(c.config.version);
    },
  });
  new client.Gauge({
    name: 'hyperdex_coordinator_servers',
    help: 'Servers in the configuration, by state (available, offline, admin-offline, failed)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      // Every known state appears, at 0 when no server is in it: a dashboard's series do not vanish.
      for (const s of Object.values(ServerState)) this.set({ state: serverStateName(s) }, 0);
      for (const s of c.config.servers) this.inc({ state: serverStateName(s.state) });
    },
  });
  new client.Gauge({
    name: 'hyperdex_coordinator_spaces',
    help: 'Spaces',
    registers: [registry],
    collect() {
      this.set(c.config.spaces.length);
    },
  });
  new client.Gauge({
    name: 'hyperdex_coordinator_regions',
    help: 'Regions of every subspace of every space',
    registers: [registry],
    collect() {
      let n = 0;
      for (const space of c.config.spaces) for (const ss of space.subspaces) n += ss.regions.length;
      this.set(n);
    },
  });
  new client.Gauge({
    name: 'hyperdex_coordinator_daemons_connected',
    help: 'Daemons registered on a connection that is still open',
    registers: [registry],
    collect() {
      this.set(c.daemonsConnected);
    },
  });
  return registry;
}
