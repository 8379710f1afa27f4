// The operator's commands, in both spellings:
//   hyperdex show-config|server-list|wait-until-stable [-h H] [-p P] [--json]            (1.0 port)
//   hyperdex server-offline|server-online|server-forget ID [-h H] [-p P] [--json]
//   hyperdex validate-space [FILE] [--json]
//   hyperdex-coordinator-control [--host H] [--port P] COMMAND [ARGS] [options]            (control port)
// Human-readable output by default, JSON with --json. Every failure is one line on standard error
// and exit code 1 (with --json, the JSON answer is printed on standard output too).

import * as fs from 'node:fs';
import { MsgType, statusName, Status } from '../common/protocol';
import { parseSpaceDescription, SchemaParseError } from '../common/schema-parser';
import { OptionSpec, Parsed, parseArgs, portValue, usage, UsageError } from './args';
import { configView, formatConfig, formatServers, formatSpec, REPLICATION_NOTE, serverViews, specView, unsettledRegions } from './config-view';
import { CoordinatorSession } from './coordinator-session';
import { readStdin } from './run';

const DESCRIPTION_BYTES_MAX = 64 * 1024;
/** wait-until-stable waits this long unless told otherwise, and at most a day. */
const STABLE_TIMEOUT_S_DEFAULT = 60;
const STABLE_TIMEOUT_S_MAX = 86_400;

const JSON_FLAG: OptionSpec = { long: 'json', flag: true, help: 'print JSON, for scripts' };
const HELP_FLAG: OptionSpec = { long: 'help', short: '?', flag: true, help: 'show this help and exit' };

function coordinatorOptions(host: string, port: string): OptionSpec[] {
  return [
    { long: 'host', short: 'h', valueName: 'H', help: "the coordinator's address", default: host },
    { long: 'port', short: 'p', valueName: 'P', help: "the coordinator's port", default: port },
  ];
}

interface Context {
  readonly p: Parsed;
  readonly json: boolean;
  /** Opens a session with the coordinator named by the options; closed by the caller. */
  readonly connect: () => Promise<CoordinatorSession>;
}

interface Command {
  /** What follows the command's name in its synopsis. */
  readonly args: string;
  readonly summary: string;
  /** More about what it does, for --help. */
  readonly details: string;
  /** Options besides --json and --help (and --host and --port when it talks to the coordinator). */
  readonly options: readonly OptionSpec[];
  readonly coordinator: boolean;
  readonly positional: { readonly min: number; readonly max: number };
  run(ctx: Context): Promise<number>;
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/** Runs `fn` with a session, closed afterwards whatever happens. */
async function withSession<T>(ctx: Context, fn: (s: CoordinatorSession) => Promise<T>): Promise<T> {
  const s = await ctx.connect();
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

function serverIdArg(raw: string): number {
  if (!/^[1-9]\d{0,9}$/.test(raw) || Number(raw) > 0xffffffff) throw new UsageError(`a server id is a positive whole number (see server-list), got '${raw}'`);
  return Number(raw);
}

function serverCommand(kind: 'server-offline' | 'server-online' | 'server-forget', type: number, summary: string, details: string): Command {
  return {
    args: 'ID',
    summary,
    details,
    options: [],
    coordinator: true,
    positional: { min: 1, max: 1 },
    run: (ctx) => {
      const server = serverIdArg(ctx.p.positional[0]);
      return withSession(ctx, async (s) => {
        const r = await s.serverRequest(type, server);
        const ok = r.status === Status.SUCCESS;
        if (ctx.json) printJson({ ok, command: kind, server, status: statusName(r.status), message: r.message, version: s.config.version });
        if (!ok) throw new Error(r.message);
        if (!ctx.json) print(r.message);
        return 0;
      });
    },
  };
}

const OFFLINE_DETAILS = `Takes a server out of service, in a new configuration version. It gets no new regions, and moves
towards it are cancelled. The regions it heads stay its own: without replication (not implemented
yet) their objects exist only on it, so moving them elsewhere would lose them. Until server-online,
those regions are unavailable: clients get RECONFIGURE ("no available daemon holds region N ...: its
head ... was taken offline by an operator"), instead of reaching the daemon. The daemon may keep
running; the state holds across its reconnections, its silences (it is never marked failed) and the
coordinator's restarts. A move already under way from it completes if its daemon still runs.`;

const ONLINE_DETAILS = `Undoes server-offline, in a new configuration version: the server is available again if the
coordinator has heard from its daemon within the failure timeout, and otherwise failed until the
daemon registers. Regions may then move to it to even out the load.`;

const FORGET_DETAILS = `Removes a server from the configuration, for a daemon that is gone for good. Refused while its
daemon is connected (stop it first), and while it heads a region (or a region is moving to it):
those regions' objects exist only on it. The refusal names the regions; start the daemon again or
remove those spaces first. Its peer key is dropped, so other daemons no longer accept it; a daemon
started again on its data directory registers under the same id, as a new server.`;

const COMMANDS: Readonly<Record<string, Command>> = {
  'show-config': {
    args: '',
    summary: 'show the configuration: servers and their state, spaces, subspaces, regions and their chains',
    details: `Prints the coordinator's current configuration: its version; every server with its address, state
(available; failed: not heard from within the coordinator's failure timeout; admin-offline: taken out
by server-offline; offline: from a coordinator before failure detection) and the number of
regions it heads; every space with its schema, subspaces and regions (bounds per axis, chain head
first, a move in progress, and whether the head is available); and whether it is settled.`,
    options: [],
    coordinator: true,
    positional: { min: 0, max: 0 },
    run: (ctx) =>
      withSession(ctx, async (s) => {
        const v = configView(s.config);
        if (ctx.json) printJson(v);
        else process.stdout.write(formatConfig(v));
        return 0;
      }),
  },
  'server-list': {
    args: '',
    summary: 'list the servers: id, address, state, regions headed',
    details:
      "Prints one line per server: its id, the address clients reach it at, its state (available; failed: not heard from within the coordinator's failure timeout; admin-offline; offline: from a coordinator before failure detection) and how many regions it heads.",
    options: [],
    coordinator: true,
    positional: { min: 0, max: 0 },
    run: (ctx) =>
      withSession(ctx, async (s) => {
        const servers = serverViews(s.config);
        if (ctx.json) printJson({ version: s.config.version, servers });
        else print(formatServers(servers).join('\n'));
        return 0;
      }),
  },
  'server-offline': serverCommand('server-offline', MsgType.SERVER_OFFLINE, 'take a server out of service (its regions become unavailable until server-online)', OFFLINE_DETAILS),
  'server-online': serverCommand('server-online', MsgType.SERVER_ONLINE, 'undo server-offline', ONLINE_DETAILS),
  'server-forget': serverCommand('server-forget', MsgType.SERVER_FORGET, 'remove a stopped server that heads no region', FORGET_DETAILS),
  'wait-until-stable': {
    args: '',
    summary: 'wait until no region is moving and every region has a daemon',
    details: `Returns (exit 0) as soon as the configuration is settled: no region is moving to another daemon and
every region has one. A region whose head is failed or offline does not count: that is a state, not a change
in progress (show-config marks it). After --timeout seconds without that, exits 1 naming what is
still moving.`,
    options: [{ long: 'timeout', short: 't', valueName: 'SECONDS', help: `how long to wait at most (0: only look once; at most ${STABLE_TIMEOUT_S_MAX})`, default: String(STABLE_TIMEOUT_S_DEFAULT) }],
    coordinator: true,
    positional: { min: 0, max: 0 },
    run: async (ctx) => {
      const raw = ctx.p.values.timeout;
      if (!/^\d+(\.\d+)?$/.test(raw) || Number(raw) > STABLE_TIMEOUT_S_MAX) throw new UsageError(`--timeout must be a number of seconds from 0 to ${STABLE_TIMEOUT_S_MAX}, got '${raw}'`);
      const timeoutMs = Math.round(Number(raw) * 1000);
      return withSession(ctx, async (s) => {
        const settled = await s.waitFor((c) => unsettledRegions(c).length === 0, timeoutMs);
        const unsettled = unsettledRegions(s.config);
        if (ctx.json) printJson({ stable: settled, version: s.config.version, unsettled });
        if (!settled) {
          const more = unsettled.length > 1 ? `, and ${unsettled.length - 1} more` : '';
          throw new Error(`not settled after ${raw} s (configuration version ${s.config.version}): ${unsettled[0]}${more}`);
        }
        if (!ctx.json) print(`settled at configuration version ${s.config.version}`);
        return 0;
      });
    },
  },
  'validate-space': {
    args: '[FILE]',
    summary: 'check a space description (from FILE or standard input) and explain it, without creating it',
    details: `Parses a space description in either grammar, as add-space would, without contacting the
coordinator, and explains it: the key, the attributes and their types, each subspace with its
regions and replicas (and so how many failures it is meant to tolerate), and the regions in all.
On an error, exits 1 and shows the line and the column where the description goes wrong. The
coordinator may still refuse a valid description whose space name is taken.`,
    options: [],
    coordinator: false,
    positional: { min: 0, max: 1 },
    run: (ctx) => validateSpace(ctx),
  },
};

async function readDescription(file: string | undefined): Promise<string> {
  let text: string;
  if (file !== undefined) {
    let size: number;
    try {
      size = fs.statSync(file).size;
      if (size > DESCRIPTION_BYTES_MAX) throw new Error(`longer than ${DESCRIPTION_BYTES_MAX} bytes`);
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`cannot read ${file}: ${(e as Error).message}`, { cause: e });
    }
  } else {
    if (process.stdin.isTTY) throw new UsageError('no space description: give a FILE, or pipe one on standard input');
    text = await readStdin(DESCRIPTION_BYTES_MAX);
  }
  if (text.trim() === '') throw new UsageError(`no space description in ${file ?? 'standard input'}`);
  return text;
}

/** The line of `text` an error points at, with a caret under its column. */
function pointAt(text: string, line: number, column: number): string[] {
  const source = text.split('\n')[line - 1] ?? '';
  const prefix = `line ${line}: `;
  return [`${prefix}${source.replace(/\t/g, ' ')}`, `${' '.repeat(prefix.length + Math.max(0, column - 1))}^`];
}

async function validateSpace(ctx: Context): Promise<number> {
  const text = await readDescription(ctx.p.positional[0]);
  let spec;
  try {
    spec = parseSpaceDescription(text);
  } catch (e) {
    if (!(e instanceof SchemaParseError)) throw e;
    if (ctx.json) printJson({ valid: false, error: { line: e.line, column: e.column, expected: e.expected, found: e.found, message: e.message } });
    else print(pointAt(text, e.line, e.column).join('\n'));
    throw new Error(`invalid space description: ${e.message}`);
  }
  const v = specView(spec);
  if (ctx.json) {
    printJson({ valid: true, space: v });
    return 0;
  }
  print(
    [
      `space ${v.name} is valid:`,
      ...formatSpec(v, '  '),
      `  ${v.subspaces.length} subspace(s), ${v.regions} region(s) in all`,
      `note: ${REPLICATION_NOTE}.`,
      'note: on fewer daemons than replicas, each region holds as many replicas as there are daemons (add-space says so).',
    ].join('\n'),
  );
  return 0;
}

export function isAdminCommand(name: string | undefined): boolean {
  return name !== undefined && Object.hasOwn(COMMANDS, name);
}

/** Lines for a program's list of commands: `  show-config      show the configuration...`. */
export function adminCommandList(): string {
  return Object.entries(COMMANDS)
    .map(([name, c]) => `  ${`${name}${c.args ? ` ${c.args}` : ''}`.padEnd(23)}${c.summary}`)
    .join('\n');
}

export interface AdminInvocation {
  /** How the program is called, for usage lines: 'hyperdex' or 'hyperdex-coordinator-control [--host H] [--port P]'. */
  readonly program: string;
  readonly defaultPort: string;
  /** The coordinator's address given before the command (0.4 spelling); the command's own options win. */
  readonly host?: string;
  readonly port?: string;
}

/** Runs an admin command: `name` is one isAdminCommand accepts, `argv` what follows it. */
export async function adminCommand(name: string, argv: readonly string[], how: AdminInvocation): Promise<number> {
  const c = COMMANDS[name];
  const options = [...(c.coordinator ? coordinatorOptions(how.host ?? '127.0.0.1', how.port ?? how.defaultPort) : []), ...c.options, JSON_FLAG, HELP_FLAG];
  const p = parseArgs(argv, options);
  if (p.flags.has('help')) {
    process.stdout.write(usage(`${how.program} ${name}${c.args ? ` ${c.args}` : ''} [options]`, `${c.summary[0].toUpperCase()}${c.summary.slice(1)}.\n\n${c.details}`, options));
    return 0;
  }
  if (p.positional.length < c.positional.min || p.positional.length > c.positional.max)
    throw new UsageError(c.positional.max === 0 ? `${name} takes no argument` : `${name} takes ${c.args}`);
  const connect = () => CoordinatorSession.open(p.values.host, portValue(p, 'port'));
  return c.run({ p, json: p.flags.has('json'), connect });
}
