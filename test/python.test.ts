// The Python module `hyperclient` (bindings/python), tested by pytest (test/python): the manual's
// sessions as doctests, every type, errors, wrong argument types, reference counts and threads.
// pytest starts its own clusters with the documented command lines on ephemeral ports and kills
// them by PID; this test runs it with the node that runs ava, and fails with pytest's report.

import test from 'ava';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './helpers/cluster';

const PYTEST_TIMEOUT_MS = 240_000;
const INTERRUPT_GRACE_MS = 20_000;

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | string; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HYPERDEX_NODE: process.execPath, PYTHONDONTWRITEBYTECODE: '1' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // pytest stops its clusters in fixture finalizers, which a SIGINT (KeyboardInterrupt) still
    // runs; SIGKILL only if it does not end within the grace period after that
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      killer = setTimeout(() => child.kill('SIGKILL'), INTERRUPT_GRACE_MS);
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 'spawn error', out: String(e) });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      resolve({ code: code ?? signal ?? 'unknown', out });
    });
  });
}

test('the Python hyperclient module passes its pytest suite (manual sessions, types, errors, refcounts)', async (t) => {
  t.timeout(PYTEST_TIMEOUT_MS + INTERRUPT_GRACE_MS + 10_000);
  const { code, out } = await run(
    'python3',
    ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', path.join('test', 'python')],
    PYTEST_TIMEOUT_MS,
  );
  t.log(out.trim().split('\n').slice(-1)[0]);
  t.is(code, 0, out);
  t.regex(out, /\b\d+ passed\b/);
  t.notRegex(out, /\b(failed|skipped|error)\b/);
});
