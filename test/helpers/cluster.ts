// Real processes for integration tests: coordinators and daemons started from bin/ on 127.0.0.1
// with ephemeral ports and temporary data directories. Every process started is stopped by PID in
// the test's teardown, and, as a last resort, when the test worker exits.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Something that runs cleanups later: an ava ExecutionContext, or a SharedScope for a whole file. */
export interface Scope {
  teardown(fn: () => unknown): void;
}

/** For resources shared by the tests of a file: call `close()` in `test.after.always`. */
export class SharedScope implements Scope {
  private readonly fns: (() => unknown)[] = [];
  teardown(fn: () => unknown): void {
    this.fns.push(fn);
  }
  async close(): Promise<void> {
    for (const fn of this.fns.reverse()) await fn();
    this.fns.length = 0;
  }
}

export const ROOT = (() => {
  let dir = __dirname;
  for (let i = 0; i < 10; i++) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'hyperdex-ts') return dir;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the project root');
})();

export const BIN = (name: string): string => path.join(ROOT, 'bin', `${name}.js`);

const STARTUP_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) if (p.pid) try { process.kill(p.pid, 'SIGKILL'); } catch { /* already gone */ }
});

export function tempDir(t: Scope, label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hyperdex-${label}-`));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written so far to stdout and stderr. */
  output(): string;
  /** Everything written so far to stderr alone (the logs of a server). */
  errorOutput(): string;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
}

/** Starts `node bin/NAME.js args...`; teardown kills it by PID if it still runs. */
export function startProcess(t: Scope, name: string, args: readonly string[], stdin?: string, cwd?: string): Proc {
  const child = spawn(process.execPath, [BIN(name), ...args], { stdio: ['pipe', 'pipe', 'pipe'], cwd });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
    err += d.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  if (stdin !== undefined) child.stdin!.end(stdin);
  else child.stdin!.end();
  const proc: Proc = { child, pid: child.pid!, output: () => out, errorOutput: () => err, exited };
  t.teardown(() => stopProcess(proc, 'SIGKILL'));
  return proc;
}

/** Sends a signal and waits (bounded) for the exit. */
export async function stopProcess(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
  try {
    process.kill(p.pid, signal);
  } catch {
    return p.exited;
  }
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref());
  const r = await Promise.race([p.exited, timeout]);
  if (r === 'timeout') {
    process.kill(p.pid, 'SIGKILL');
    return p.exited;
  }
  return r;
}

/** Waits until the output matches, the process exits, or the deadline passes. */
export function waitForOutput(p: Proc, pattern: RegExp, timeoutMs = STARTUP_TIMEOUT_MS): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = p.output().match(pattern);
      if (m) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code: number | string) => {
      cleanup();
      reject(new Error(`process ${p.pid} exited (${code}) before printing ${pattern}; output:\n${p.output()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`process ${p.pid} did not print ${pattern} within ${timeoutMs} ms; output:\n${p.output()}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      p.child.stdout!.off('data', check);
      p.child.stderr!.off('data', check);
    };
    p.child.stdout!.on('data', check);
    p.child.stderr!.on('data', check);
    void p.exited.then(onExit);
    check();
  });
}

/**
 * Runs a command to completion (bounded) and returns its exit status and output. Asynchronous on
 * purpose: a synchronous spawn would freeze this worker's event loop, and with it the timers and
 * sockets of every other test running in it.
 */
export function runCommand(name: string, args: readonly string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN(name), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ status: code, stdout, stderr });
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(stdin);
  });
}

export interface CoordinatorProc extends Proc {
  readonly host: string;
  /** The port clients and daemons use. */
  readonly port: number;
  /** The 0.4 control port, when started with the 0.4 spelling. */
  readonly controlPort?: number;
  readonly dataDir: string;
  /** The cluster secret's file, which daemons must be given; undefined: registration is open. */
  readonly secretFile: string | undefined;
  /** http://HOST:PORT of /metrics and /healthz, when started with httpPort. */
  readonly httpUrl?: string;
}

/** The --http-port line a server prints when asked to serve HTTP (servers.ts, announceHttp). */
async function httpUrlOf(p: Proc, httpPort: number | undefined): Promise<string | undefined> {
  if (httpPort === undefined) return undefined;
  return (await waitForOutput(p, /metrics and health on (http:\/\/127\.0\.0\.1:\d+) /))[1];
}

/**
 * `hyperdex coordinator` (1.0 spelling) or `hyperdex-coordinator` (0.4 spelling) on ephemeral
 * ports. With a cluster secret (DIR/cluster-secret, created by the coordinator) unless `secret`
 * is false; startDaemon gives it to the daemons.
 */
export async function startCoordinator(
  t: Scope,
  opts: { legacy?: boolean; dataDir?: string; port?: number; secret?: boolean; logging?: string; failureTimeoutMs?: number; httpPort?: number } = {},
): Promise<CoordinatorProc> {
  const dataDir = opts.dataDir ?? tempDir(t, 'coord');
  const port = String(opts.port ?? 0);
  const logging = opts.logging ?? 'warn';
  const secretFile = opts.secret === false ? undefined : path.join(dataDir, 'cluster-secret');
  const extra = [
    ...(secretFile === undefined ? [] : ['--cluster-secret-file', secretFile]),
    ...(opts.failureTimeoutMs === undefined ? [] : ['--failure-timeout-ms', String(opts.failureTimeoutMs)]),
    ...(opts.httpPort === undefined ? [] : ['--http-port', String(opts.httpPort)]),
  ];
  const p = opts.legacy
    ? startProcess(t, 'hyperdex-coordinator', ['--host-port', port, '--control-port', '0', '--data', dataDir, '--logging', logging, ...extra])
    : startProcess(t, 'hyperdex', ['coordinator', '-f', '-l', '127.0.0.1', '-p', port, '-D', dataDir, '--logging', logging, ...extra]);
  const m = await waitForOutput(p, /serving on 127\.0\.0\.1:(\d+)(?: and port (\d+))?/);
  const httpUrl = await httpUrlOf(p, opts.httpPort);
  return { ...p, host: '127.0.0.1', port: Number(m[1]), controlPort: m[2] ? Number(m[2]) : undefined, dataDir, secretFile, httpUrl };
}

export interface DaemonProc extends Proc {
  readonly serverId: number;
  readonly port: number;
  readonly dataDir: string;
  /** http://HOST:PORT of /metrics and /healthz, when started with httpPort. */
  readonly httpUrl?: string;
}

/**
 * `hyperdex daemon` (1.0 spelling) or `hyperdex-daemon` (0.4 spelling) on an ephemeral port,
 * with the coordinator's cluster secret file when it has one.
 */
export async function startDaemon(t: Scope, coord: { port: number; secretFile: string | undefined }, opts: { legacy?: boolean; dataDir?: string; logging?: string; httpPort?: number } = {}): Promise<DaemonProc> {
  const dataDir = opts.dataDir ?? tempDir(t, 'daemon');
  const logging = opts.logging ?? 'warn';
  // Each spelling as its manual writes options: `--name value` (0.4), `--name=value` (1.0).
  const secretArgs = coord.secretFile === undefined ? [] : opts.legacy ? ['--cluster-secret-file', coord.secretFile] : [`--cluster-secret-file=${coord.secretFile}`];
  const httpArgs = opts.httpPort === undefined ? [] : opts.legacy ? ['--http-port', String(opts.httpPort)] : [`--http-port=${opts.httpPort}`];
  const p = opts.legacy
    ? startProcess(t, 'hyperdex-daemon', ['--host', '127.0.0.1', '--port', String(coord.port), '--bind-to', '127.0.0.1', '--data', dataDir, '--logging', logging, ...secretArgs, ...httpArgs])
    : startProcess(t, 'hyperdex', [
        'daemon',
        '-f',
        '--listen=127.0.0.1',
        '--listen-port=0',
        '--coordinator=127.0.0.1',
        `--coordinator-port=${coord.port}`,
        `--data=${dataDir}`,
        `--logging=${logging}`,
        ...secretArgs,
        ...httpArgs,
      ]);
  const m = await waitForOutput(p, /hyperdex daemon (\d+) \[pid \d+\] serving on 127\.0\.0\.1:(\d+)/);
  return { ...p, serverId: Number(m[1]), port: Number(m[2]), dataDir, httpUrl: await httpUrlOf(p, opts.httpPort) };
}

/** A coordinator and one daemon (with a cluster secret unless `secret` is false). */
export async function startCluster(t: Scope, opts: { legacy?: boolean; secret?: boolean; failureTimeoutMs?: number } = {}): Promise<{ coord: CoordinatorProc; daemon: DaemonProc }> {
  const coord = await startCoordinator(t, opts);
  const daemon = await startDaemon(t, coord, opts);
  return { coord, daemon };
}
