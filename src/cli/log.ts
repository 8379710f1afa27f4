// The servers' logs: pino, one JSON object a line on standard error, for machines; on a terminal, a
// readable line for people instead. pino-pretty is not used: its dependency strip-json-comments 5.1
// requires Node 22, and a readable line needs no more than formatReadable below.

import * as fs from 'node:fs';
import pino from 'pino';
import { LOG_LEVELS, LogFn, LogLevel } from '../common/log';
import { UsageError } from './args';

export function parseLogLevel(level: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--logging must be one of ${LOG_LEVELS.join(', ')}, got '${level}'`);
  return level as LogLevel;
}

const COLOURS: Readonly<Record<string, string>> = { debug: '\x1b[90m', info: '\x1b[32m', warn: '\x1b[33m', error: '\x1b[31m' };

/** One JSON log line as people read it: `12:03:04.123 INFO  coordinator: daemon 3 joined at 127.0.0.1:2012`. */
export function formatReadable(jsonLine: string, colour: boolean): string {
  let e: { time?: unknown; level?: unknown; name?: unknown; msg?: unknown };
  try {
    e = JSON.parse(jsonLine) as typeof e;
  } catch {
    return jsonLine.endsWith('\n') ? jsonLine : jsonLine + '\n';
  }
  const time = typeof e.time === 'string' ? e.time.slice(11, 23) : '';
  const level = String(e.level ?? '');
  const label = level.toUpperCase().padEnd(5);
  const shown = colour && COLOURS[level] ? `${COLOURS[level]}${label}\x1b[0m` : label;
  return `${time} ${shown} ${String(e.name ?? '')}: ${String(e.msg ?? '')}\n`;
}

/**
 * A server's logger: lines at `level` or above, named `name` (coordinator, daemon, daemon2...),
 * with each event's fields beside `msg`. Written synchronously, so that nothing logged before an
 * exit is lost; nothing logs per request, so this costs the servers nothing that matters.
 */
export function makeLogger(level: string, name: string, opts: { readable?: boolean } = {}): LogFn {
  const least = parseLogLevel(level);
  const readable = opts.readable ?? process.stderr.isTTY === true;
  const colour = readable && process.env.NO_COLOR === undefined;
  const destination = readable ? { write: (line: string) => void fs.writeSync(2, formatReadable(line, colour)) } : pino.destination({ dest: 2, sync: true });
  const logger = pino(
    {
      name,
      level: least,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return (line, lineLevel = 'info', fields) => logger[lineLevel]({ ...fields }, line);
}
