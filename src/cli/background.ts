// `-d/--daemon`: run a server in the background. The parent starts a detached copy of the same
// command in the foreground, logging to a file, waits (bounded) until it accepts connections,
// prints its pid and exits.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

const READY_WAIT_MS = 15_000;

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function runInBackground(logFile: string, host: string, port: number | undefined): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== '-d' && a !== '--daemon');
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [process.argv[1], ...args], { detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  const deadline = Date.now() + READY_WAIT_MS;
  while (Date.now() < deadline && exited === null) {
    if (port !== undefined && port !== 0 && (await canConnect(host, port))) break;
    if (port === undefined || port === 0) {
      // No fixed port to probe: wait for the log to say it is serving.
      if (fs.readFileSync(logFile, 'utf8').includes(`[pid ${child.pid}] serving`)) break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (exited !== null) throw new Error(`the background process exited with code ${exited}; see ${logFile}`);
  if (Date.now() >= deadline) throw new Error(`the background process did not start within ${READY_WAIT_MS} ms; see ${logFile}`);
  child.unref();
  process.stdout.write(`started in the background as pid ${child.pid}; log in ${logFile}\n`);
  return 0;
}
