// The cluster secret's file (--cluster-secret-file). The coordinator creates it on its first
// start, when it does not exist: 32 random bytes, written as 64 hex digits and a newline, mode
// 0600, atomically (a temporary file, fsynced, then linked into place, so that two processes
// starting at once agree on one secret and nobody reads half a file). Daemons only read it: a copy
// of the coordinator's file. The secret is the file's bytes without surrounding whitespace, so a
// secret written by hand works too.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PEER_AUTH } from '../common/protocol';

const GENERATED_BYTES = 32;

export interface LoadedSecret {
  readonly secret: Buffer;
  /** Set when others than the owner may read the file: worth a warning, not a refusal. */
  readonly warning?: string;
}

/** Reads a secret file; throws a one-line error when it is missing, unreadable or unfit. */
export function readClusterSecret(file: string): LoadedSecret {
  let raw: Buffer;
  let mode: number;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw new Error('not a regular file');
      if (st.size > PEER_AUTH.secretBytesMax + 1024) throw new Error(`larger than ${PEER_AUTH.secretBytesMax} bytes`);
      mode = st.mode;
      raw = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new Error(`cluster secret file ${file} does not exist (the coordinator creates it on its first start; give daemons a copy)`);
    throw new Error(`cannot read cluster secret file ${file}: ${err.message}`);
  }
  const secret = Buffer.from(raw.toString('utf8').trim(), 'utf8');
  if (secret.length < PEER_AUTH.secretBytesMin) throw new Error(`cluster secret file ${file} holds ${secret.length} bytes; a secret needs at least ${PEER_AUTH.secretBytesMin}`);
  if (secret.length > PEER_AUTH.secretBytesMax) throw new Error(`cluster secret file ${file} holds more than ${PEER_AUTH.secretBytesMax} bytes`);
  const warning = (mode & 0o077) !== 0 ? `cluster secret file ${file} may be read by others than its owner (mode ${(mode & 0o777).toString(8)}); chmod 600 it` : undefined;
  return warning ? { secret, warning } : { secret };
}

/** Reads the secret file, creating it with a new random secret if it does not exist. */
export function loadOrCreateClusterSecret(file: string): LoadedSecret & { created: boolean } {
  if (fs.existsSync(file)) return { ...readClusterSecret(file), created: false };
  const dir = path.dirname(path.resolve(file));
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`cannot create cluster secret file ${file}: directory ${dir} does not exist`);
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  let created = false;
  try {
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      fs.writeSync(fd, crypto.randomBytes(GENERATED_BYTES).toString('hex') + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      // link, not rename: it fails if the file appeared meanwhile, and then that one is the secret.
      fs.linkSync(tmp, file);
      created = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  } catch (e) {
    throw new Error(`cannot create cluster secret file ${file}: ${(e as Error).message}`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  if (created) fsyncDir(dir);
  return { ...readClusterSecret(file), created };
}

/** Makes a new directory entry durable; some file systems refuse to open a directory, which is harmless. */
function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // best effort
  }
}
