// The server commands, in both spellings of the manuals:
//   hyperdex coordinator [-f] [-d] [-l ADDR] [-p PORT] [-D DIR]                     (1.0)
//   hyperdex-coordinator --control-port P --host-port P [--logging LEVEL]           (0.4)
//   hyperdex daemon [-f] --listen=ADDR --listen-port=P --coordinator=ADDR
//                   --coordinator-port=P --data=DIR                                 (1.0)
//   hyperdex-daemon --host IP --port P --bind-to IP --data DIR [-t N] [-i P]        (0.4)
// Each also takes --cluster-secret-file FILE (ours): registration then requires the secret. Both
// coordinator spellings take --failure-timeout-ms MS (ours): how long a daemon may stay silent.
// All four take --http-port P (ours): Prometheus /metrics and /healthz over HTTP on the listen
// address, off unless given (0 picks a port, printed on a line of its own); a coordinator serves
// its status page there too (/, src/coordinator/status-page.ts).
// Without --data, a server keeps its data in ./hyperdex-data/coordinator or ./hyperdex-data/daemon
// (created if missing), not in the current directory as the 0.4 manual has it: a state file or a
// store does not end up wherever the command happened to run, and `npm start` uses the same
// ./hyperdex-data. A directory given with --data must exist. Either way the server locks it.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Coordinator } from '../coordinator/coordinator';
import { FAILURE_TIMEOUT_MS } from '../coordinator/core-types';
import { startCoordinatorHttp } from '../coordinator/http';
import { HttpEndpoint, startHttpEndpoint } from '../common/http-endpoint';
import { Daemon } from '../daemon/daemon';
import { daemonRegistry } from '../daemon/metrics';
import { boundHeapGrowth, heapGrowingPercentFromEnv } from '../daemon/heap';
import { OptionSpec, Parsed, parseArgs, portValue, usage, UsageError } from './args';
import { runInBackground } from './background';
import { loadOrCreateClusterSecret, readClusterSecret } from './cluster-secret';
import { makeLogger } from './log';
import { onShutdown } from './run';

const HELP: OptionSpec = { long: 'help', short: '?', flag: true, help: 'show this help and exit' };
const FOREGROUND: OptionSpec = { long: 'foreground', short: 'f', flag: true, help: 'run in the foreground (the default)' };
const BACKGROUND: OptionSpec = { long: 'daemon', short: 'd', flag: true, help: 'run in the background, logging to DIR/hyperdex-*.log' };
const LOGGING: OptionSpec = { long: 'logging', valueName: 'LEVEL', help: 'least level logged: debug, info, warn or error', default: 'info' };
const COORDINATOR_SECRET: OptionSpec = {
  long: 'cluster-secret-file',
  valueName: 'FILE',
  help: 'require daemons to prove they know the secret in FILE to register; FILE is created (random, mode 0600) if missing. Without it, any daemon may register',
};
const DAEMON_SECRET: OptionSpec = {
  long: 'cluster-secret-file',
  valueName: 'FILE',
  help: "prove knowledge of the secret in FILE (a copy of the coordinator's) to register; needed when the coordinator was started with it",
};

const FAILURE_TIMEOUT: OptionSpec = {
  long: 'failure-timeout-ms',
  valueName: 'MS',
  help: `a daemon not heard from for longer than MS (dead, frozen or cut off) is marked failed and its regions unavailable until it registers again; heartbeats go out four times per timeout. From ${FAILURE_TIMEOUT_MS.min} to ${FAILURE_TIMEOUT_MS.max}`,
  default: String(FAILURE_TIMEOUT_MS.default),
};

const HTTP_PORT: OptionSpec = {
  long: 'http-port',
  valueName: 'P',
  help: 'serve Prometheus metrics (/metrics) and a health check (/healthz) over HTTP on port P of the listen address (0 picks one). Off unless given',
};

const COORDINATOR_HTTP_PORT: OptionSpec = {
  ...HTTP_PORT,
  help: 'serve a live status page (/), Prometheus metrics (/metrics) and a health check (/healthz) over HTTP on port P of the listen address (0 picks one). Off unless given',
};

/** --http-port, checked; undefined when not given (no HTTP). */
function httpPortOf(p: Parsed): number | undefined {
  return p.values['http-port'] === undefined ? undefined : portValue(p, 'http-port', true);
}

/** The line tests and operators read the HTTP port from. */
function announceHttp(role: Role, host: string, port: number): void {
  process.stdout.write(`hyperdex ${role} [pid ${process.pid}] metrics and health on http://${host}:${port} (/metrics, /healthz)\n`);
}

/** --failure-timeout-ms, checked. */
function failureTimeoutOf(p: Parsed): number {
  const raw = p.values['failure-timeout-ms'];
  const n = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || n < FAILURE_TIMEOUT_MS.min || n > FAILURE_TIMEOUT_MS.max)
    throw new UsageError(`--failure-timeout-ms must be a whole number of milliseconds from ${FAILURE_TIMEOUT_MS.min} to ${FAILURE_TIMEOUT_MS.max}, got '${raw}'`);
  return n;
}

type Role = 'coordinator' | 'daemon';

const DEFAULT_DATA_DIR: Readonly<Record<Role, string>> = {
  coordinator: path.join('hyperdex-data', 'coordinator'),
  daemon: path.join('hyperdex-data', 'daemon'),
};

function dataOption(role: Role, short: string | undefined): OptionSpec {
  const what = role === 'coordinator' ? 'the coordinator state' : 'the data';
  return {
    long: 'data',
    short,
    valueName: 'DIR',
    help: `directory for ${what}, which must exist; without it, ./${DEFAULT_DATA_DIR[role]} (created if missing). Locked while the ${role} runs`,
  };
}

/** The data directory: --data as given, or the default, created if missing. */
function dataDirOf(p: Parsed, role: Role): string {
  const given = p.values.data;
  if (given !== undefined) return given;
  const dir = DEFAULT_DATA_DIR[role];
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function checkPositional(positional: readonly string[]): void {
  if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}'`);
}

async function serveCoordinator(opts: {
  host: string;
  ports: number[];
  dataDir: string;
  logging: string;
  background: boolean;
  secretFile: string | undefined;
  failureTimeoutMs: number;
  httpPort: number | undefined;
}): Promise<number> {
  const dataDir = path.resolve(opts.dataDir);
  const log = makeLogger(opts.logging, 'coordinator');
  if (opts.background) return runInBackground(path.join(dataDir, 'hyperdex-coordinator.log'), opts.host, opts.ports[0]);
  let clusterSecret: Buffer | undefined;
  if (opts.secretFile !== undefined) {
    const loaded = loadOrCreateClusterSecret(opts.secretFile);
    if (loaded.created) log(`created the cluster secret file ${opts.secretFile}; daemons need a copy of it`, 'info', { event: 'secret-created', file: opts.secretFile });
    if (loaded.warning) log(loaded.warning, 'warn');
    clusterSecret = loaded.secret;
  }
  // A coordinator that cannot write its state stops serving (it has logged why): the process fails.
  const onFailure = () => void (process.exitCode = 1);
  const c = await Coordinator.start({ host: opts.host, ports: opts.ports, dataDir, log, clusterSecret, onFailure, failureTimeoutMs: opts.failureTimeoutMs });
  const ports = c.ports;
  let http: HttpEndpoint | undefined;
  // The handlers first: whoever reads "serving" may signal at once, and must get a clean stop.
  onShutdown(async () => {
    await http?.close();
    await c.stop();
  }, log);
  process.stdout.write(`hyperdex coordinator [pid ${process.pid}] serving on ${opts.host}:${ports.join(' and port ')} (data in ${dataDir})\n`);
  if (opts.httpPort !== undefined) {
    try {
      http = await startCoordinatorHttp(c, opts.host, opts.httpPort);
    } catch (e) {
      await c.stop();
      throw e;
    }
    announceHttp('coordinator', opts.host, http.port);
    process.stdout.write(`hyperdex coordinator [pid ${process.pid}] status page on http://${opts.host}:${http.port}/\n`);
  }
  return 0;
}

const COORDINATOR_SPECS: OptionSpec[] = [
  FOREGROUND,
  BACKGROUND,
  { long: 'listen', short: 'l', valueName: 'ADDR', help: 'address to listen on', default: '127.0.0.1' },
  { long: 'listen-port', short: 'p', valueName: 'PORT', help: 'port for clients, daemons and control', default: '1982' },
  dataOption('coordinator', 'D'),
  COORDINATOR_SECRET,
  FAILURE_TIMEOUT,
  COORDINATOR_HTTP_PORT,
  LOGGING,
  HELP,
];

export async function coordinatorCommand(argv: readonly string[], program = 'hyperdex coordinator'): Promise<number> {
  const p = parseArgs(argv, COORDINATOR_SPECS);
  if (p.flags.has('help')) {
    process.stdout.write(usage(`${program} [options]`, 'Runs the HyperDex coordinator: it holds the spaces and the cluster configuration.', COORDINATOR_SPECS));
    return 0;
  }
  checkPositional(p.positional);
  const failureTimeoutMs = failureTimeoutOf(p);
  const httpPort = httpPortOf(p);
  return serveCoordinator({
    host: p.values.listen,
    ports: [portValue(p, 'listen-port', true)],
    dataDir: dataDirOf(p, 'coordinator'),
    logging: p.values.logging,
    background: p.flags.has('daemon'),
    secretFile: p.values['cluster-secret-file'],
    failureTimeoutMs,
    httpPort,
  });
}

const LEGACY_COORDINATOR_SPECS: OptionSpec[] = [
  FOREGROUND,
  BACKGROUND,
  { long: 'host-port', valueName: 'P', help: 'port for clients and daemons', default: '1234' },
  { long: 'control-port', valueName: 'P', help: 'port for hyperdex-coordinator-control', default: '6970' },
  { long: 'bind-to', short: 'b', valueName: 'IP', help: 'address to listen on', default: '127.0.0.1' },
  dataOption('coordinator', 'D'),
  COORDINATOR_SECRET,
  FAILURE_TIMEOUT,
  COORDINATOR_HTTP_PORT,
  LOGGING,
  HELP,
];

export async function legacyCoordinatorCommand(argv: readonly string[]): Promise<number> {
  const p = parseArgs(argv, LEGACY_COORDINATOR_SPECS);
  if (p.flags.has('help')) {
    process.stdout.write(
      usage('hyperdex-coordinator [options]', 'Runs the HyperDex coordinator (0.4 spelling): daemons and clients use the host port, hyperdex-coordinator-control the control port.', LEGACY_COORDINATOR_SPECS),
    );
    return 0;
  }
  checkPositional(p.positional);
  const hostPort = portValue(p, 'host-port', true);
  const controlPort = portValue(p, 'control-port', true);
  if (hostPort === controlPort && hostPort !== 0) throw new UsageError('--host-port and --control-port must differ');
  const failureTimeoutMs = failureTimeoutOf(p);
  const httpPort = httpPortOf(p);
  return serveCoordinator({
    host: p.values['bind-to'],
    ports: [hostPort, controlPort],
    dataDir: dataDirOf(p, 'coordinator'),
    logging: p.values.logging,
    background: p.flags.has('daemon'),
    secretFile: p.values['cluster-secret-file'],
    failureTimeoutMs,
    httpPort,
  });
}

async function serveDaemon(
  o: {
    listenHost: string;
    listenPort: number;
    coordinatorHost: string;
    coordinatorPort: number;
    dataDir: string;
    logging: string;
    background: boolean;
    secretFile: string | undefined;
    httpPort: number | undefined;
  },
): Promise<number> {
  const dataDir = path.resolve(o.dataDir);
  const log = makeLogger(o.logging, 'daemon');
  if (o.background) return runInBackground(path.join(dataDir, 'hyperdex-daemon.log'), o.listenHost, o.listenPort);
  let clusterSecret: Buffer | undefined;
  if (o.secretFile !== undefined) {
    const loaded = readClusterSecret(o.secretFile);
    if (loaded.warning) log(loaded.warning, 'warn');
    clusterSecret = loaded.secret;
  }
  // Before the store is opened and the memory index loaded: the heap is still small.
  boundHeapGrowth(heapGrowingPercentFromEnv());
  const { secretFile: _file, httpPort, ...rest } = o;
  const d = await Daemon.start({ ...rest, dataDir, log, clusterSecret });
  const a = d.address;
  let http: HttpEndpoint | undefined;
  onShutdown(async () => {
    await http?.close();
    await d.stop();
  }, log);
  process.stdout.write(
    `hyperdex daemon ${d.id} [pid ${process.pid}] serving on ${a.host}:${a.port}, coordinator ${o.coordinatorHost}:${o.coordinatorPort} (data in ${dataDir})\n`,
  );
  if (httpPort !== undefined) {
    try {
      http = await startHttpEndpoint({
        host: a.host,
        port: httpPort,
        registry: daemonRegistry(d),
        health: () => ({ ok: d.serving, detail: { role: 'daemon', serverId: d.id, configVersion: d.view.config.version } }),
      });
    } catch (e) {
      await d.stop();
      throw e;
    }
    announceHttp('daemon', a.host, http.port);
  }
  return 0;
}

const DAEMON_SPECS: OptionSpec[] = [
  FOREGROUND,
  BACKGROUND,
  { long: 'listen', short: 'l', valueName: 'ADDR', help: 'address to serve clients on', default: '127.0.0.1' },
  { long: 'listen-port', short: 'p', valueName: 'PORT', help: 'port to serve clients on (0 picks one)', default: '2012' },
  { long: 'coordinator', short: 'c', valueName: 'ADDR', help: "the coordinator's address", default: '127.0.0.1' },
  { long: 'coordinator-port', short: 'P', valueName: 'PORT', help: "the coordinator's port", default: '1982' },
  dataOption('daemon', 'D'),
  { long: 'threads', short: 't', valueName: 'N', help: 'accepted for compatibility; requests are served by one event loop' },
  DAEMON_SECRET,
  HTTP_PORT,
  LOGGING,
  HELP,
];

export async function daemonCommand(argv: readonly string[], program = 'hyperdex daemon'): Promise<number> {
  const p = parseArgs(argv, DAEMON_SPECS);
  if (p.flags.has('help')) {
    process.stdout.write(usage(`${program} [options]`, 'Runs a HyperDex daemon: it stores objects and serves key operations.', DAEMON_SPECS));
    return 0;
  }
  checkPositional(p.positional);
  const httpPort = httpPortOf(p);
  return serveDaemon({
    listenHost: p.values.listen,
    listenPort: portValue(p, 'listen-port', true),
    coordinatorHost: p.values.coordinator,
    coordinatorPort: portValue(p, 'coordinator-port'),
    dataDir: dataDirOf(p, 'daemon'),
    logging: p.values.logging,
    background: p.flags.has('daemon'),
    secretFile: p.values['cluster-secret-file'],
    httpPort,
  });
}

const LEGACY_DAEMON_SPECS: OptionSpec[] = [
  FOREGROUND,
  BACKGROUND,
  { long: 'host', short: 'h', valueName: 'IP', help: "the coordinator's address", default: '127.0.0.1' },
  { long: 'port', short: 'p', valueName: 'P', help: "the coordinator's host port", default: '1234' },
  { long: 'bind-to', short: 'b', valueName: 'IP', help: 'address to serve clients on', default: '127.0.0.1' },
  { long: 'incoming-port', short: 'i', valueName: 'P', help: 'port to serve clients on (0 picks one)', default: '0' },
  { long: 'outgoing-port', short: 'o', valueName: 'P', help: 'accepted for compatibility; outgoing ports are picked by the system' },
  dataOption('daemon', 'D'),
  { long: 'threads', short: 't', valueName: 'N', help: 'accepted for compatibility; requests are served by one event loop' },
  DAEMON_SECRET,
  HTTP_PORT,
  LOGGING,
  HELP,
];

export async function legacyDaemonCommand(argv: readonly string[]): Promise<number> {
  const p = parseArgs(argv, LEGACY_DAEMON_SPECS);
  if (p.flags.has('help')) {
    process.stdout.write(usage('hyperdex-daemon [options]', 'Runs a HyperDex daemon (0.4 spelling): it stores objects and serves key operations.', LEGACY_DAEMON_SPECS));
    return 0;
  }
  checkPositional(p.positional);
  if (p.values.threads !== undefined && !/^[1-9]\d*$/.test(p.values.threads)) throw new UsageError(`--threads must be a positive number, got '${p.values.threads}'`);
  const httpPort = httpPortOf(p);
  return serveDaemon({
    listenHost: p.values['bind-to'],
    listenPort: portValue(p, 'incoming-port', true),
    coordinatorHost: p.values.host,
    coordinatorPort: portValue(p, 'port'),
    dataDir: dataDirOf(p, 'daemon'),
    logging: p.values.logging,
    background: p.flags.has('daemon'),
    secretFile: p.values['cluster-secret-file'],
    httpPort,
  });
}
