// The servers' log lines: what makeLogger writes (one JSON object a line, with the event's fields)
// and the readable form a terminal gets instead.

import test from 'ava';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { formatReadable, parseLogLevel } from '../src/cli/log';
import { UsageError } from '../src/cli/args';

const LINE = '{"level":"warn","time":"2026-01-02T03:04:05.678Z","pid":7,"name":"coordinator","event":"daemon-disconnected","server":3,"msg":"daemon 3 disconnected"}';

test('the readable form: time, level, name and message', (t) => {
  t.is(formatReadable(LINE, false), '03:04:05.678 WARN  coordinator: daemon 3 disconnected\n');
  t.is(formatReadable(LINE, true), '03:04:05.678 \x1b[33mWARN \x1b[0m coordinator: daemon 3 disconnected\n');
  t.is(formatReadable('not json', false), 'not json\n', 'anything else passes through');
});

test('--logging takes debug, info, warn or error', (t) => {
  for (const level of ['debug', 'info', 'warn', 'error']) t.is(parseLogLevel(level) as string, level);
  t.throws(() => parseLogLevel('loud'), { instanceOf: UsageError, message: "--logging must be one of debug, info, warn, error, got 'loud'" });
});

/** What a process logging through makeLogger writes to stderr (a pipe, so JSON). */
function logged(level: string, script: string): Promise<string> {
  const module = path.join(__dirname, '../src/cli/log.js');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', `const log = require(${JSON.stringify(module)}).makeLogger(${JSON.stringify(level)}, 'daemon2'); ${script}`]);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('close', () => resolve(err));
  });
}

test('makeLogger writes one JSON object a line, at or above its level, with the fields beside msg', async (t) => {
  const out = await logged('info', `log('hidden', 'debug'); log('space kv created', 'info', { event: 'space-created', space: 'kv' }); log('trouble', 'error'); process.exit(0);`);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  t.is(lines.length, 2);
  t.like(lines[0], { level: 'info', name: 'daemon2', event: 'space-created', space: 'kv', msg: 'space kv created' });
  t.regex(lines[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.is(typeof lines[0].pid, 'number');
  t.like(lines[1], { level: 'error', msg: 'trouble' });
});
