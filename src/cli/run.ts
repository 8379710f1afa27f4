// Shared plumbing for the command-line programs: one-line errors, exit codes, signals, logging.

import { ShowVersion, UsageError } from './args';
import { packageVersion } from './version';

/** Runs a command's main; prints a one-line reason and exits non-zero on failure. */
export function runMain(program: string, main: () => Promise<number | void>): void {
  // A reader that stops early (hyperdex search ... | head) closes the pipe: stop quietly, as Unix tools do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  main().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (err: Error) => {
      if (err instanceof ShowVersion) {
        process.stdout.write(`${program} ${packageVersion()}\n`);
        return;
      }
      const hint = err instanceof UsageError ? ` (see ${program} --help)` : '';
      process.stderr.write(`${program}: ${err.message.split('\n')[0]}${hint}\n`);
      process.exitCode = err instanceof UsageError ? 2 : 1;
    },
  );
}

/** Calls `stop` on the first SIGINT or SIGTERM; a second one exits at once. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write(`received ${signal}, stopping\n`);
    stop().then(
      () => process.exit(0),
      (e: Error) => {
        process.stderr.write(`error while stopping: ${e.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** A logger for servers: lines at or above the chosen level go to stderr with a timestamp. */
export function makeLogger(level: string, prefix: string): (line: string, lineLevel?: LogLevel) => void {
  const least = LOG_LEVELS.indexOf(level as LogLevel);
  if (least < 0) throw new UsageError(`--logging must be one of ${LOG_LEVELS.join(', ')}, got '${level}'`);
  return (line: string, lineLevel: LogLevel = 'info') => {
    if (LOG_LEVELS.indexOf(lineLevel) >= least) process.stderr.write(`${new Date().toISOString()} ${prefix} ${lineLevel}: ${line}\n`);
  };
}

/** Reads all of standard input (bounded). */
export async function readStdin(maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) throw new Error(`standard input is longer than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
