// `npm start`: a local cluster in one process, a coordinator and three daemons on 127.0.0.1, with
// its data under ./hyperdex-data (kept across runs). Ctrl-C stops everything. Registration needs
// the cluster secret kept in DATA/cluster-secret (created on the first run): a daemon started by
// hand joins this cluster with --cluster-secret-file DATA/cluster-secret. The coordinator serves
// its status page, /metrics and /healthz on --http-port (1980 unless given).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Coordinator } from '../coordinator/coordinator';
import { startCoordinatorHttp } from '../coordinator/http';
import { HttpEndpoint } from '../common/http-endpoint';
import { Daemon } from '../daemon/daemon';
import { boundHeapGrowth, heapGrowingPercentFromEnv } from '../daemon/heap';
import { OptionSpec, parseArgs, portValue, usage, UsageError } from './args';
import { loadOrCreateClusterSecret } from './cluster-secret';
import { makeLogger } from './log';
import { onShutdown, runMain } from './run';

const SPECS: OptionSpec[] = [
  { long: 'port', short: 'p', valueName: 'PORT', help: "the coordinator's port (0 picks one)", default: '1982' },
  { long: 'daemon-port', valueName: 'PORT', help: 'the first daemon\'s port; the others take the next ones (0 picks free ports)', default: '2012' },
  { long: 'daemons', short: 'n', valueName: 'N', help: 'how many daemons', default: '3' },
  { long: 'http-port', valueName: 'PORT', help: "the coordinator's status page, /metrics and /healthz (0 picks a port)", default: '1980' },
  { long: 'data', short: 'D', valueName: 'DIR', help: 'data directory, created if missing', default: 'hyperdex-data' },
  { long: 'logging', valueName: 'LEVEL', help: 'debug, info, warn or error', default: 'info' },
  { long: 'help', short: '?', flag: true, help: 'show this help and exit' },
];

async function main(argv: readonly string[]): Promise<number> {
  const p = parseArgs(argv, SPECS);
  if (p.flags.has('help')) {
    process.stdout.write(usage('npm start -- [options]', 'Runs a local HyperDex cluster: one coordinator and three daemons on 127.0.0.1, and the coordinator\'s status page; daemons register with the cluster secret in DATA/cluster-secret (created on the first run).', SPECS));
    return 0;
  }
  const host = '127.0.0.1';
  const askedPort = portValue(p, 'port', true);
  const root = path.resolve(p.values.data);
  const coordDir = path.join(root, 'coordinator');
  const count = Number(p.values.daemons);
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new UsageError(`--daemons must be between 1 and 64, got '${p.values.daemons}'`);
  const firstPort = portValue(p, 'daemon-port', true);
  const httpPort = portValue(p, 'http-port', true);
  fs.mkdirSync(coordDir, { recursive: true });
  const secretFile = path.join(root, 'cluster-secret');
  const log = makeLogger(p.values.logging, 'coordinator');
  const { secret: clusterSecret, warning } = loadOrCreateClusterSecret(secretFile);
  if (warning) log(warning, 'warn');
  // As a daemon process does (servers.ts): this process holds three daemons' heaps.
  boundHeapGrowth(heapGrowingPercentFromEnv());
  const coordinator = await Coordinator.start({ host, ports: [askedPort], dataDir: coordDir, clusterSecret, log });
  const port = coordinator.ports[0];
  const daemons: Daemon[] = [];
  let http: HttpEndpoint | undefined;
  const stopAll = async () => {
    await http?.close();
    for (const d of daemons) await d.stop();
    await coordinator.stop();
  };
  try {
    http = await startCoordinatorHttp(coordinator, host, httpPort);
    for (let i = 1; i <= count; i++) {
      const dataDir = path.join(root, `daemon${i}`);
      fs.mkdirSync(dataDir, { recursive: true });
      daemons.push(
        await Daemon.start({
          listenHost: host,
          listenPort: firstPort === 0 ? 0 : firstPort + i - 1,
          coordinatorHost: host,
          coordinatorPort: port,
          dataDir,
          clusterSecret,
          log: makeLogger(p.values.logging, `daemon${i}`),
        }),
      );
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
  process.stdout.write(
    [
      `HyperDex is running (pid ${process.pid}).`,
      `  coordinator  ${host}:${port}`,
      ...daemons.map((d) => `  daemon ${d.id}     ${d.address.host}:${d.address.port}`),
      `  status page  http://${host}:${http.port}/ (metrics on /metrics, health on /healthz)`,
      `  data         ${root}`,
      `  secret       ${secretFile} (a daemon started by hand needs --cluster-secret-file ${secretFile})`,
      `Try: echo 'space phonebook key username attributes first, last, int phone subspace first, last, phone' | npx hyperdex add-space -p ${port}`,
      `then: npx hyperdex put -p ${port} phonebook jsmith1 '{"first": "John", "phone": 6075551024}', npx hyperdex get -p ${port} phonebook jsmith1, or npx hyperdex shell -p ${port}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  onShutdown(stopAll, log);
  return 0;
}

runMain('hyperdex start', () => main(process.argv.slice(2)));
