// Shared plumbing for the command-line programs: one-line errors, exit codes, signals, standard input.

import { LogFn } from '../common/log';
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
      process.stderr.write(`${program}: ${withCauses(err)}${hint}\n`);
      process.exitCode = err instanceof UsageError ? 2 : 1;
    },
  );
}

/** How many causes an error message names at most. */
const CAUSES_MAX = 4;

/**
 * An error's message on one line, with its causes: "Database failed to open" says why (LevelDB's
 * own message, in `cause`). A cause whose message the error's already holds is not repeated.
 */
export function withCauses(err: Error): string {
  let text = err.message;
  let cause: unknown = err.cause;
  for (let i = 0; i < CAUSES_MAX && cause instanceof Error; i++, cause = cause.cause) if (!text.includes(cause.message)) text += `: ${cause.message}`;
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Calls `stop` on the first SIGINT or SIGTERM; a second one exits at once. Both are logged. */
export function onShutdown(stop: () => Promise<void>, log: LogFn): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log(`received ${signal}, stopping`, 'info', { event: 'stopping', signal });
    stop().then(
      () => {
        log('stopped', 'info', { event: 'stopped' });
        process.exit(0);
      },
      (e: Error) => {
        log(`error while stopping: ${withCauses(e)}`, 'error', { event: 'stop-failed' });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
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
