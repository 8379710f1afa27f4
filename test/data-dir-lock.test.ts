// Safe data directories: one coordinator or daemon per directory, a second one refused naming the
// PID that holds it; a lock left by a killed process (kill -9, a reused PID) does not block a
// restart; a clean stop frees the directory; errors keep their cause; the default data directory.

import test from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '../src/client/client';
import { DataDirLock, DataDirLockedError } from '../src/common/data-dir-lock';
import { withCauses } from '../src/cli/run';
import { runCommand, startCoordinator, startDaemon, startProcess, stopProcess, tempDir, waitForOutput } from './helpers/cluster';

const lockFile = (dir: string, role: string) => path.join(fs.realpathSync(dir), `hyperdex-${role}.lock`);

/** The PID of a process that has exited (and been reaped). */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.once('exit', () => resolve(child.pid!));
  });
}

test('a lock names its holder; a second taker is refused with that PID; release frees the directory', (t) => {
  const dir = tempDir(t, 'lock');
  const lock = DataDirLock.acquire(dir, 'daemon');
  t.teardown(() => lock.release());
  const held = JSON.parse(fs.readFileSync(lockFile(dir, 'daemon'), 'utf8'));
  t.is(held.pid, process.pid);
  t.is(held.role, 'daemon');
  // Held by this very process: a second server in it is refused too, however the directory is spelled.
  const e = t.throws(() => DataDirLock.acquire(path.join(dir, '.', ''), 'daemon'), { instanceOf: DataDirLockedError });
  t.is(e?.pid, process.pid);
  t.regex(e!.message, new RegExp(`^data directory .* is in use by another hyperdex daemon \\(pid ${process.pid}; lock file .*hyperdex-daemon\\.lock\\)`));
  // A coordinator and a daemon may share a directory: their files do not collide.
  const coordinatorLock = DataDirLock.acquire(dir, 'coordinator');
  coordinatorLock.release();
  lock.release();
  t.false(fs.existsSync(lockFile(dir, 'daemon')));
  DataDirLock.acquire(dir, 'daemon').release();
});

test('a stale lock is taken over: a dead PID, this PID not held here, a reused PID, garbage', async (t) => {
  const dir = tempDir(t, 'stale');
  const file = lockFile(dir, 'daemon');
  const own = JSON.parse((() => {
    const l = DataDirLock.acquire(dir, 'daemon');
    const text = fs.readFileSync(file, 'utf8');
    l.release();
    return text;
  })());
  const stale = [
    { pid: await deadPid(), role: 'daemon' },
    // This process's PID, as a process killed earlier in a container may have had it.
    { pid: process.pid, role: 'daemon' },
    // The parent runs, but it is not the process that took the lock: it started at another time.
    { pid: process.ppid, started: '1', boot: own.boot, role: 'daemon' },
    // A boot ago.
    { pid: process.ppid, boot: 'another-boot', role: 'daemon' },
  ];
  for (const holder of stale) {
    fs.writeFileSync(file, JSON.stringify(holder) + '\n');
    const l = DataDirLock.acquire(dir, 'daemon');
    t.is(JSON.parse(fs.readFileSync(file, 'utf8')).pid, process.pid, JSON.stringify(holder));
    l.release();
  }
  fs.writeFileSync(file, 'not json');
  DataDirLock.acquire(dir, 'daemon').release();
  t.deepEqual(fs.readdirSync(dir), [], 'no file left aside');
});

test('a lock held by another live process is refused; once that process is killed, it is taken over', async (t) => {
  const dir = tempDir(t, 'other');
  const module = path.join(__dirname, '../src/common/data-dir-lock.js');
  const holder = spawn(process.execPath, ['-e', `require(${JSON.stringify(module)}).DataDirLock.acquire(${JSON.stringify(dir)}, 'daemon'); console.log('locked'); setTimeout(() => {}, 60000);`]);
  t.teardown(() => holder.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
  });
  const e = t.throws(() => DataDirLock.acquire(dir, 'daemon'), { instanceOf: DataDirLockedError });
  t.is(e!.pid, holder.pid!);
  const gone = new Promise((resolve) => holder.once('exit', resolve));
  holder.kill('SIGKILL');
  await gone;
  DataDirLock.acquire(dir, 'daemon').release();
});

test('a second coordinator or daemon on a directory in use exits 1 naming the PID; a kill -9 does not block a restart; SIGTERM frees it', async (t) => {
  const coord = await startCoordinator(t);
  const daemon = await startDaemon(t, coord);
  const second = await runCommand('hyperdex', ['coordinator', '-p', '0', '-D', coord.dataDir]);
  t.is(second.status, 1);
  t.regex(second.stderr, new RegExp(`data directory .* is in use by another hyperdex coordinator \\(pid ${coord.pid};`));
  t.is(second.stderr.trim().split('\n').length, 1, second.stderr);
  const again = await runCommand('hyperdex-daemon', ['--port', String(coord.port), '--data', daemon.dataDir, '--cluster-secret-file', coord.secretFile!]);
  t.is(again.status, 1);
  t.regex(again.stderr, new RegExp(`data directory .* is in use by another hyperdex daemon \\(pid ${daemon.pid};`));
  t.is(again.stderr.trim().split('\n').length, 1, again.stderr);

  const c = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  t.teardown(() => c.close());
  await c.addSpace('space kv key k attributes int n create 2 partitions tolerate 0 failures');
  t.true(await c.put('kv', 'kept', { n: 7 }));
  t.is(await stopProcess(daemon, 'SIGKILL'), 'SIGKILL');
  t.true(fs.existsSync(lockFile(daemon.dataDir, 'daemon')), 'a kill -9 leaves its lock behind');
  const restarted = await startDaemon(t, coord, { dataDir: daemon.dataDir });
  t.is(restarted.serverId, daemon.serverId);
  t.deepEqual(await c.get('kv', 'kept'), { n: 7 });

  t.is(await stopProcess(restarted, 'SIGTERM'), 0);
  t.false(fs.existsSync(lockFile(daemon.dataDir, 'daemon')));
  t.is(await stopProcess(coord, 'SIGKILL'), 'SIGKILL');
  const coordAgain = await startCoordinator(t, { dataDir: coord.dataDir });
  t.is(await stopProcess(coordAgain, 'SIGTERM'), 0);
  t.false(fs.existsSync(lockFile(coord.dataDir, 'coordinator')));
});

test('without --data, a server uses ./hyperdex-data/ROLE, created if missing, and a second one there is refused', async (t) => {
  const cwd = tempDir(t, 'default-dir');
  const coord = startProcess(t, 'hyperdex', ['coordinator', '-p', '0'], undefined, cwd);
  const m = await waitForOutput(coord, /serving on 127\.0\.0\.1:(\d+) \(data in (.*)\)/);
  t.is(m[2], path.join(fs.realpathSync(cwd), 'hyperdex-data', 'coordinator'));
  t.true(fs.existsSync(path.join(cwd, 'hyperdex-data', 'coordinator', 'coordinator.state')));
  const daemon = startProcess(t, 'hyperdex', ['daemon', '--listen-port=0', `--coordinator-port=${m[1]}`], undefined, cwd);
  await waitForOutput(daemon, /serving on/);
  t.true(fs.existsSync(path.join(cwd, 'hyperdex-data', 'daemon', 'objects')));
  const other = startProcess(t, 'hyperdex', ['daemon', '--listen-port=0', `--coordinator-port=${m[1]}`], undefined, cwd);
  t.is(await other.exited, 1);
  t.regex(other.output(), new RegExp(`hyperdex-data/daemon is in use by another hyperdex daemon \\(pid ${daemon.pid};`));
});

test('an error keeps its cause: a store that cannot open says why', async (t) => {
  const inner = new Error('IO error: lock /x/LOCK: Resource temporarily unavailable');
  t.is(withCauses(new Error('Database failed to open', { cause: inner })), 'Database failed to open: IO error: lock /x/LOCK: Resource temporarily unavailable');
  t.is(withCauses(new Error(`cannot read: ${inner.message}`, { cause: inner })), `cannot read: ${inner.message}`, 'a cause already said is not repeated');
  // A data directory whose objects/ is a file: LevelDB cannot open it, and the daemon says why.
  const dir = tempDir(t, 'bad-store');
  fs.writeFileSync(path.join(dir, 'objects'), '');
  const r = await runCommand('hyperdex', ['daemon', `--data=${dir}`, '--listen-port=0', '--coordinator-port=1']);
  t.is(r.status, 1);
  t.regex(r.stderr, /Database failed to open: .+/);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.false(fs.existsSync(lockFile(dir, 'daemon')), 'the lock is released when the start fails');
});
