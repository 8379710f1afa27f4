// A data directory belongs to one server process at a time. The lock is a file in the directory
// (hyperdex-coordinator.lock, hyperdex-daemon.lock) naming the process that holds it: created whole
// and atomically (written aside, then hard-linked into place, which fails if the file exists), and
// removed when the process stops. A lock left by a process that died without removing it (kill -9,
// a crash, a reboot) is stale: its process is gone, or its PID now belongs to another process
// (told apart by the start time Linux gives in /proc/PID/stat, and the boot id), and the next
// process takes it over.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What a lock file holds (one JSON object). */
interface Holder {
  readonly pid: number;
  /** The holder's start time, in clock ticks since boot (field 22 of /proc/PID/stat); absent off Linux. */
  readonly started?: string;
  /** /proc/sys/kernel/random/boot_id when the lock was taken; absent off Linux. */
  readonly boot?: string;
  readonly role: string;
}

/** Rounds of "find a stale lock, set it aside, try again": only racing starters need more than two. */
const TAKE_ATTEMPTS_MAX = 4;

/** Lock files this process holds: a lock naming this process's PID but not held here is stale (the PID was reused). */
const heldHere = new Map<string, DataDirLock>();

// A process that exits without stopping its servers (an uncaught error) still frees their directories.
process.on('exit', () => {
  for (const lock of [...heldHere.values()]) lock.release();
});

export class DataDirLockedError extends Error {
  constructor(
    message: string,
    readonly pid: number,
  ) {
    super(message);
    this.name = 'DataDirLockedError';
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * A process's state letter (field 3 of /proc/PID/stat: 'Z' for a zombie, dead but not yet reaped by
 * its parent) and start time in clock ticks since boot (field 22); undefined when it cannot be
 * read (gone, or not Linux).
 */
function processStat(pid: number): { state: string; started: string } | undefined {
  let stat: string | undefined;
  try {
    stat = readText(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold anything: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[3 - 3], started: fields[22 - 3] };
}

function bootId(): string | undefined {
  return readText('/proc/sys/kernel/random/boot_id')?.trim();
}

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Holder;
    return Number.isInteger(h.pid) && h.pid > 0 ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process a lock names still runs (and is the one that took the lock). */
function holderAlive(h: Holder, file: string): boolean {
  if (h.pid === process.pid) return heldHere.has(file);
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    // EPERM: it runs, as another user.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (h.boot !== undefined && bootId() !== undefined && h.boot !== bootId()) return false;
  const stat = processStat(h.pid);
  if (stat === undefined) return true; // no /proc: the signal said it runs
  return stat.state !== 'Z' && (h.started === undefined || stat.started === h.started);
}

export class DataDirLock {
  private released = false;

  private constructor(
    readonly file: string,
    private readonly content: string,
  ) {
    heldHere.set(file, this);
  }

  /**
   * Takes the lock of `dir` for a `role` ('coordinator' or 'daemon'), or throws a
   * DataDirLockedError naming the process that holds it.
   */
  static acquire(dir: string, role: string): DataDirLock {
    // One name per directory, however it is spelled: the key of heldHere.
    const file = path.join(fs.realpathSync(dir), `hyperdex-${role}.lock`);
    const holder: Holder = { pid: process.pid, started: processStat(process.pid)?.started, boot: bootId(), role };
    const content = JSON.stringify(holder) + '\n';
    const aside = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
    fs.writeFileSync(aside, content, { mode: 0o644 });
    try {
      for (let attempt = 0; attempt < TAKE_ATTEMPTS_MAX; attempt++) {
        try {
          fs.linkSync(aside, file);
          return new DataDirLock(file, content);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const text = readText(file);
        if (text === undefined) continue; // released meanwhile
        const other = parseHolder(text);
        // A lock file is written whole before it appears: one that does not parse is no live process's.
        if (other && holderAlive(other, file))
          throw new DataDirLockedError(
            `data directory ${dir} is in use by another hyperdex ${other.role ?? role} (pid ${other.pid}; lock file ${file}): stop that process, or give this one another data directory`,
            other.pid,
          );
        setStaleAside(file, text);
      }
      throw new Error(`cannot lock data directory ${dir}: other processes keep taking ${file} (are several starting on it at once?)`);
    } finally {
      fs.rmSync(aside, { force: true });
    }
  }

  /** Removes the lock file if it is still this process's. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.file);
    try {
      if (readText(this.file) === this.content) fs.unlinkSync(this.file);
    } catch {
      // The directory went away, or is read-only now: nothing more to free.
    }
  }
}

/**
 * Removes a stale lock file, but only the one judged stale: it is renamed aside (atomic), and put
 * back if what was renamed is not that one (another starter replaced it meanwhile).
 */
function setStaleAside(file: string, staleText: string): void {
  const moved = `${file}.stale.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, moved);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    if (readText(moved) !== staleText) fs.linkSync(moved, file);
  } catch {
    // Someone took the lock in between: the next attempt sees theirs.
  } finally {
    fs.rmSync(moved, { force: true });
  }
}
