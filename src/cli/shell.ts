// `hyperdex shell`: the data commands without the `hyperdex` prefix, one client for the session.
// On a terminal: a prompt, history in ~/.hyperdex_history (bounded, see shell-history.ts), Tab
// completion of command, space, operation and attribute names, Ctrl-C to drop the line, exit or
// Ctrl-D to leave. From a pipe or file: no prompt, each line run in turn; errors are prefixed with
// their line number and the shell exits 1 if any command failed. A failed command never ends it.

import * as readline from 'node:readline';
import { Client } from '../client/client';
import { OptionSpec, parseArgs, portValue, ShowVersion, usage, UsageError } from './args';
import { commandHelp, CONNECTION_SPECS, DATA_COMMANDS, dataCommandsHelp, findDataCommand, parseCommand, runParsed, timeoutMsOption } from './data-commands';
import { defaultHistoryFile, HISTORY_LINES_MAX, loadHistory, saveHistory } from './shell-history';
import { complete, CompletionSource, SHELL_BUILTINS, tokenize } from './shell-line';
import { packageVersion } from './version';

const SPECS: OptionSpec[] = [
  ...CONNECTION_SPECS,
  { long: 'history', valueName: 'FILE', help: 'where an interactive session keeps its history (default: ~/.hyperdex_history)' },
  { long: 'help', short: '?', flag: true, help: 'show this help and exit' },
];

const DESCRIPTION = `An interactive shell for the data commands: type them without "hyperdex", e.g.
  put phonebook jsmith1 '{"first": "John", "phone": 6075551024}'
Words are quoted as in a POSIX shell ('...' keeps JSON as it is); a line whose first word starts
with # is skipped. Commands: help [COMMAND],
list-spaces, exit (or Ctrl-D), and the data commands. Tab completes command, space, atomic
operation and attribute names. Read from a pipe or a file, it runs each line and exits 1 if any
command failed, 0 otherwise.`;

const HELP_TEXT = `commands (each takes --help and --json):
${dataCommandsHelp()}  list-spaces                      list the spaces
  help [COMMAND]                   this list, or the command's options
  exit, quit, Ctrl-D               leave
`;

/** A longer line is refused (a value is at most 8 MiB, and JSON spells bytes with more characters). */
const LINE_CHARS_MAX = 32 * 1024 * 1024;

/** How long Tab may wait for the coordinator before offering nothing. */
const COMPLETION_WAIT_MS = 1000;

function withDeadline<T>(p: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), COMPLETION_WAIT_MS)));
  return Promise.race([p.catch(() => fallback), late]).finally(() => clearTimeout(timer));
}

function completionSource(client: Client): CompletionSource {
  return {
    commands: [...DATA_COMMANDS.map((c) => c.name), ...SHELL_BUILTINS],
    spaces: () => withDeadline(client.listSpaces(), []),
    attributes: (space) =>
      withDeadline(
        client.describeSpace(space).then((s) => [s.key.name, ...s.attributes.map((a) => a.name)]),
        [],
      ),
  };
}

type LineResult = 'ok' | 'failed' | 'exit';

const out = (text: string) => process.stdout.write(text);

/** Runs one line of the shell; never throws. `where` prefixes error lines (the line number when not interactive). */
async function runLine(client: Client, line: string, where: string): Promise<LineResult> {
  let words: string[];
  try {
    if (line.length > LINE_CHARS_MAX) throw new UsageError(`the line is longer than ${LINE_CHARS_MAX} characters`);
    words = tokenize(line);
  } catch (e) {
    process.stderr.write(`${where}${(e as Error).message}\n`);
    return 'failed';
  }
  const [name, ...argv] = words;
  if (name === undefined || name.startsWith('#')) return 'ok';
  try {
    if (name === 'exit' || name === 'quit') return 'exit';
    if (name === 'help') {
      const cmd = argv[0] === undefined ? undefined : findDataCommand(argv[0]);
      if (argv[0] !== undefined && !cmd) throw new UsageError(`no command named '${argv[0]}'`);
      out(cmd ? commandHelp(cmd, false) : HELP_TEXT);
      return 'ok';
    }
    if (name === 'list-spaces') {
      if (argv.length > 0) throw new UsageError('list-spaces takes no argument');
      for (const space of await client.listSpaces()) out(space + '\n');
      return 'ok';
    }
    const cmd = findDataCommand(name);
    if (!cmd) throw new UsageError(`unknown command '${name}'`);
    const p = parseCommand(cmd, argv, false, out);
    if (p) await runParsed(cmd, p, client, (text) => out(text + '\n'));
    return 'ok';
  } catch (e) {
    if (e instanceof ShowVersion) {
      out(`hyperdex ${packageVersion()}\n`);
      return 'ok';
    }
    const hint = e instanceof UsageError ? ` (help${findDataCommand(name) ? ` ${name}` : ''})` : '';
    process.stderr.write(`${where}${(e as Error).message.split('\n')[0]}${hint}\n`);
    return 'failed';
  }
}

/** Keeps the history file, telling once (and going on without it) when it cannot. */
function historyKeeper(file: string): { initial: string[]; save: (h: readonly string[]) => void } {
  let warned = false;
  const warn = (e: Error) => {
    if (!warned) process.stderr.write(`(history not kept: ${e.message})\n`);
    warned = true;
  };
  let initial: string[] = [];
  try {
    initial = loadHistory(file);
  } catch (e) {
    warn(e as Error);
  }
  return {
    initial,
    save: (h) => {
      try {
        saveHistory(file, h);
      } catch (e) {
        warn(e as Error);
      }
    },
  };
}

export async function shellCommand(argv: readonly string[]): Promise<number> {
  const p = parseArgs(argv, SPECS);
  if (p.flags.has('help')) {
    out(usage('hyperdex shell [options]', DESCRIPTION, SPECS));
    return 0;
  }
  if (p.positional.length > 0) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
  const host = p.values.host;
  const port = portValue(p, 'port');
  const timeoutMs = timeoutMsOption(p);
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const client = new Client(host, port, { timeoutMs, connectTimeoutMs: timeoutMs });
  const history = interactive ? historyKeeper(p.values.history ?? defaultHistoryFile()) : undefined;
  const source = completionSource(client);
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: interactive,
    prompt: 'hyperdex> ',
    history: history?.initial ?? [],
    historySize: HISTORY_LINES_MAX,
    removeHistoryDuplicates: true,
    completer: (line: string, callback: (err: Error | null, result: [string[], string]) => void) => {
      complete(line, source).then((r) => callback(null, r), () => callback(null, [[], line]));
    },
  });
  if (history) rl.on('history', (h: string[]) => history.save(h));
  let busy = false;
  rl.on('SIGINT', () => {
    if (busy) {
      process.stderr.write('\n(a command is running; it gives up after --timeout)\n');
      return;
    }
    rl.write(null, { ctrl: true, name: 'u' });
    out('^C\n');
    rl.prompt();
  });
  if (interactive) {
    out(`hyperdex shell ${packageVersion()}, coordinator ${host}:${port}. help lists the commands; exit or Ctrl-D leaves.\n`);
    rl.prompt();
  }
  let failures = 0;
  let lineNumber = 0;
  try {
    for await (const line of rl) {
      lineNumber++;
      busy = true;
      const result = await runLine(client, line, interactive ? '' : `line ${lineNumber}: `);
      busy = false;
      if (result === 'exit') break;
      if (result === 'failed') failures++;
      if (interactive) rl.prompt();
    }
  } finally {
    rl.close();
    await client.close();
  }
  if (interactive) out('\n');
  return !interactive && failures > 0 ? 1 : 0;
}
