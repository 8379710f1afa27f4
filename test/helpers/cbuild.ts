// Where the C test programs live, and how the tests that run them against a live cluster start them.
// One place, so that every such test runs the same build the same way:
//
//   HYPERDEX_C_BUILD    the CMake build directory holding the programs, absolute or relative to the
//                       project root; default build/native (what `npm install` builds).
//                       scripts/test-asan.sh sets it to build/asan (AddressSanitizer + UBSan).
//   HYPERDEX_C_WRAPPER  a command put in front of every program, split at white space (no quoting),
//                       e.g. "valgrind --leak-check=full --error-exitcode=1"; scripts/test-valgrind.sh
//                       sets it. The tests still spawn one file: a small generated shell script that
//                       execs the wrapper on the program, so a test's kill(pid) reaches the wrapper
//                       (valgrind runs its guest in its own process) and its stdin/stdout are the
//                       program's.
//   HYPERDEX_C_TIMEOUT_SCALE  multiplies the time limits of tests that use cTimeoutMs() (a program
//                       under valgrind runs tens of times slower); default 1.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './cluster';

/** The build directory the C programs are taken from (absolute). */
export function cBuildDir(): string {
  const dir = process.env.HYPERDEX_C_BUILD;
  if (dir === undefined || dir === '') return path.join(ROOT, 'build', 'native');
  return path.resolve(ROOT, dir);
}

/** How the programs are wrapped, or [] when they run directly. */
export function cWrapper(): string[] {
  const w = process.env.HYPERDEX_C_WRAPPER;
  return w === undefined ? [] : w.split(/\s+/).filter((s) => s !== '');
}

/** `ms`, scaled by HYPERDEX_C_TIMEOUT_SCALE for slow runs (valgrind). */
export function cTimeoutMs(ms: number): number {
  const raw = process.env.HYPERDEX_C_TIMEOUT_SCALE;
  const scale = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!Number.isFinite(scale) || scale < 1 || scale > 1000) {
    throw new Error(`HYPERDEX_C_TIMEOUT_SCALE must be a number from 1 to 1000, not ${JSON.stringify(raw)}`);
  }
  return Math.round(ms * scale);
}

/** A POSIX shell word that stands for `s` literally. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The path to run the C program `name` from the build directory (CMake puts executables in the build
 * directory itself, or in Release/ or Debug/ under some generators), or undefined when it was not
 * built. Never falls back to another build: a sanitizer run must not silently test plain binaries.
 * With HYPERDEX_C_WRAPPER set, the path is that of a wrapper script in BUILD/wrapped/.
 */
export function findCBinary(name: string): string | undefined {
  const dir = cBuildDir();
  let found: string | undefined;
  for (const sub of ['.', 'Release', 'Debug']) {
    const p = path.join(dir, sub, name);
    if (fs.existsSync(p)) {
      found = p;
      break;
    }
  }
  const wrapper = cWrapper();
  if (found === undefined || wrapper.length === 0) return found;

  const script = path.join(dir, 'wrapped', name);
  const text = `#!/bin/sh\n# Written by test/helpers/cbuild.ts (HYPERDEX_C_WRAPPER).\nexec ${[...wrapper, found].map(shellQuote).join(' ')} "$@"\n`;
  fs.mkdirSync(path.dirname(script), { recursive: true });
  // Written aside and renamed: test files run in parallel workers and may write it at once.
  const tmp = `${script}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o755 });
  fs.renameSync(tmp, script);
  return script;
}

/**
 * Runs a C program to its end with stdin closed; resolves with its exit code (or signal name) and
 * everything it wrote to stdout and stderr. Killed with SIGKILL after `timeoutMs`.
 */
export function runCProgram(file: string, args: readonly string[], timeoutMs: number): Promise<{ code: number | string; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? 'unknown', out });
    });
  });
}
