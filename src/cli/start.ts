// `npm start`: a local cluster in one process, a coordinator and one daemon on 127.0.0.1, with its
// data under ./hyperdex-data (kept across runs). Ctrl-C stops everything.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Coordinator } from '../coordinator/coordinator';
import { Daemon } from '../daemon/daemon';
import { OptionSpec, parseArgs, portValue, usage } from './args';
import { makeLogger, onShutdown, runMain } from './run';

const SPECS: OptionSpec[] = [
  { long: 'port', short: 'p', valueName: 'PORT', help: "the coordinator's port (0 picks one)", default: '1982' },
  { long: 'daemon-port', valueName: 'PORT', help: "the daemon's port (0 picks one)", default: '2012' },
  { long: 'data', short: 'D', valueName: 'DIR', help: 'data directory, created if missing', default: 'hyperdex-data' },
  { long: 'logging', valueName: 'LEVEL', help: 'debug, info, warn or error', default: 'info' },
  { long: 'help', short: '?', flag: true, help: 'show this help and exit' },
];

async function main(argv: readonly string[]): Promise<number> {
  const p = parseArgs(argv, SPECS);
  if (p.flags.has('help')) {
    process.stdout.write(usage('npm start -- [options]', 'Runs a local HyperDex cluster: one coordinator and one daemon on 127.0.0.1.', SPECS));
    return 0;
  }
  const host = '127.0.0.1';
  const askedPort = portValue(p, 'port', true);
  const root = path.resolve(p.values.data);
  const coordDir = path.join(root, 'coordinator');
  const daemonDir = path.join(root, 'daemon1');
  fs.mkdirSync(coordDir, { recursive: true });
  fs.mkdirSync(daemonDir, { recursive: true });
  const coordinator = await Coordinator.start({ host, ports: [askedPort], dataDir: coordDir, log: makeLogger(p.values.logging, 'coordinator') });
  const port = coordinator.ports[0];
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({
      listenHost: host,
      listenPort: portValue(p, 'daemon-port', true),
      coordinatorHost: host,
      coordinatorPort: port,
      dataDir: daemonDir,
      log: makeLogger(p.values.logging, 'daemon'),
    });
  } catch (e) {
    await coordinator.stop();
    throw e;
  }
  process.stdout.write(
    [
      `HyperDex is running (pid ${process.pid}).`,
      `  coordinator  ${host}:${port}`,
      `  daemon ${daemon.id}     ${daemon.address.host}:${daemon.address.port}`,
      `  data         ${root}`,
      `Try: echo 'space phonebook key username attributes first, last, int phone' | npx hyperdex add-space -p ${port}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  onShutdown(async () => {
    await daemon.stop();
    await coordinator.stop();
  });
  return 0;
}

runMain('hyperdex start', () => main(process.argv.slice(2)));
