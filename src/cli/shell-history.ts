// The interactive shell's history file: one line a command, oldest first, at most
// HISTORY_LINES_MAX lines of at most HISTORY_LINE_CHARS_MAX characters (longer ones are not kept),
// written whole (through a temporary file and a rename) with mode 0600, since commands hold data.
// readline holds the history newest first; these functions convert.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const HISTORY_LINES_MAX = 1000;
export const HISTORY_LINE_CHARS_MAX = 4096;
/** A file larger than this is not ours to read whole (it is not read, and is rewritten). */
const HISTORY_FILE_BYTES_MAX = HISTORY_LINES_MAX * (HISTORY_LINE_CHARS_MAX * 4 + 1);

export function defaultHistoryFile(): string {
  return path.join(os.homedir(), '.hyperdex_history');
}

function keep(line: string): boolean {
  return line.trim() !== '' && line.length <= HISTORY_LINE_CHARS_MAX;
}

/** The history in the file, newest first; [] when there is none. Throws when it cannot be read. */
export function loadHistory(file: string): string[] {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  if (size > HISTORY_FILE_BYTES_MAX) throw new Error(`history file ${file} is larger than ${HISTORY_FILE_BYTES_MAX} bytes; not read`);
  return fs.readFileSync(file, 'utf8').split('\n').filter(keep).slice(-HISTORY_LINES_MAX).reverse();
}

/** Writes the history (newest first, as readline holds it) to the file, bounded. */
export function saveHistory(file: string, newestFirst: readonly string[]): void {
  const lines = newestFirst.filter(keep).slice(0, HISTORY_LINES_MAX).reverse();
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, lines.map((l) => l + '\n').join(''), { mode: 0o600 });
  fs.renameSync(temporary, file);
}
