// The three JSON bridges of docs/bridge.md, run as child processes: C (hyperclient-json-bridge over
// libhyperclient), Python (test/compat/bridge.py over `import hyperclient`) and TypeScript
// (test/compat/bridge.ts over src/client). One scenario through all three tests the three clients.

import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { findCBinary } from './cbuild';
import { ROOT } from './cluster';

export const BRIDGES = ['c', 'py', 'ts'] as const;
export type Bridge = (typeof BRIDGES)[number];

const TS_BRIDGE = path.join(ROOT, 'dist/test/compat/bridge.js');
const PY_BRIDGE = path.join(ROOT, 'test/compat/bridge.py');

function command(b: Bridge): [string, string[]] | undefined {
  if (b === 'c') {
    const bin = findCBinary('hyperclient-json-bridge');
    return bin ? [bin, []] : undefined;
  }
  if (b === 'py') return ['python3', [PY_BRIDGE]];
  return [process.execPath, [TS_BRIDGE]];
}

export interface BridgeRun {
  readonly out: string;
  readonly err: string;
  readonly code: number | string;
}

/**
 * Runs one bridge on `input` against the coordinator at 127.0.0.1:port, each operation given
 * `timeoutMs` (the bridge's default when undefined); the bridge is killed by PID if it outlives
 * `limitMs`, so that a hung one fails its test instead of hanging it.
 */
export function runBridge(b: Bridge, port: number, input: string, limitMs: number, timeoutMs?: number): Promise<BridgeRun> {
  const cmd = command(b);
  if (!cmd) return Promise.resolve({ out: '', err: `the ${b} bridge is not built: run \`npm run build\``, code: 'missing' });
  const args = [...cmd[1], '127.0.0.1', String(port), ...(timeoutMs === undefined ? [] : [String(timeoutMs)])];
  const child = spawn(cmd[0], args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  child.stdin!.on('error', () => {}); // a bridge that died early: its exit code tells
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return new Promise((resolve) => {
    child.once('error', (e) => {
      clearTimeout(killer);
      resolve({ out, err: `${err}${String(e)}`, code: 'spawn error' });
    });
    child.once('close', (c, s) => {
      clearTimeout(killer);
      resolve({ out, err, code: c ?? s ?? 'unknown' });
    });
    child.stdin!.end(input);
  });
}
