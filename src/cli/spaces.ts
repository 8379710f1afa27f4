// Space administration, in both spellings:
//   hyperdex-coordinator-control --host H --port P add-space < description     (0.4, control port)
//   hyperdex-coordinator-control --host H --port P rm-space NAME | list-spaces
//   hyperdex add-space [-h H] [-p P] < description                             (1.0, the one port)
//   hyperdex rm-space [-h H] [-p P] NAME,  hyperdex list-spaces [-h H] [-p P]
// The control program also runs the administration commands of admin.ts (show-config, ...).

import { Client } from '../client/client';
import { adminCommand, adminCommandList, isAdminCommand } from './admin';
import { firstPositional, OptionSpec, Parsed, parseArgs, portValue, usage, UsageError } from './args';
import { readStdin } from './run';

const DESCRIPTION_BYTES_MAX = 64 * 1024;
const TIMEOUT_MS = 15_000;

function specs(defaultPort: string, hostShort: string | undefined): OptionSpec[] {
  return [
    { long: 'host', short: hostShort, valueName: 'H', help: "the coordinator's address", default: '127.0.0.1' },
    { long: 'port', short: 'p', valueName: 'P', help: "the coordinator's port", default: defaultPort },
    { long: 'help', short: '?', flag: true, help: 'show this help and exit' },
  ];
}

const ACTIONS = `actions:
  add-space          create a space from the description read on standard input (either grammar)
  rm-space NAME      remove a space and all its objects
  list-spaces        print the name of every space, one a line

administration (each takes --help, and --json for scripts; validate-space does not contact the coordinator):
${adminCommandList()}
`;

async function act(action: string, args: readonly string[], p: Parsed): Promise<number> {
  const host = p.values.host;
  const port = portValue(p, 'port');
  if (action === 'add-space' && args.length > 0) throw new UsageError('add-space reads the description on standard input and takes no argument');
  if (action === 'rm-space' && args.length !== 1) throw new UsageError('rm-space takes exactly one space name');
  if (action === 'list-spaces' && args.length > 0) throw new UsageError('list-spaces takes no argument');
  if (!['add-space', 'rm-space', 'list-spaces'].includes(action)) throw new UsageError(`unknown action '${action}'`);
  const description = action === 'add-space' ? await readStdin(DESCRIPTION_BYTES_MAX) : '';
  if (action === 'add-space' && description.trim() === '') throw new UsageError('add-space: no space description on standard input');
  const client = new Client(host, port, { timeoutMs: TIMEOUT_MS, connectTimeoutMs: TIMEOUT_MS });
  try {
    if (action === 'add-space') for (const note of await client.addSpace(description)) process.stderr.write(`note: ${note}\n`);
    else if (action === 'rm-space') await client.rmSpace(args[0]);
    else for (const name of await client.listSpaces()) process.stdout.write(name + '\n');
  } finally {
    await client.close();
  }
  return 0;
}

/** hyperdex-coordinator-control [--host H] [--port P] ACTION [NAME] */
export async function controlCommand(argv: readonly string[]): Promise<number> {
  const s = specs('6970', 'h');
  // An admin command has options of its own: those before it are this program's, the rest its.
  const at = firstPositional(argv, s);
  if (at >= 0 && isAdminCommand(argv[at])) {
    const before = parseArgs(argv.slice(0, at), s);
    if (!before.flags.has('help'))
      return adminCommand(argv[at], argv.slice(at + 1), { program: 'hyperdex-coordinator-control [--host H] [--port P]', defaultPort: '6970', host: before.values.host, port: before.values.port });
  }
  const p = parseArgs(argv, s);
  if (p.flags.has('help') || p.positional.length === 0) {
    const text = usage('hyperdex-coordinator-control [options] ACTION [ARGS] [ACTION OPTIONS]', 'Administers a HyperDex cluster through the coordinator (0.4 spelling): its spaces, its servers and its configuration.', s) + '\n' + ACTIONS;
    if (p.flags.has('help')) {
      process.stdout.write(text);
      return 0;
    }
    throw new UsageError('no action given (add-space, rm-space or list-spaces)');
  }
  return act(p.positional[0], p.positional.slice(1), p);
}

/** hyperdex add-space|rm-space|list-spaces [-h H] [-p P] [NAME] */
export async function spaceCommand(action: string, argv: readonly string[]): Promise<number> {
  const s = specs('1982', 'h');
  const p = parseArgs(argv, s);
  if (p.flags.has('help')) {
    const what = action === 'add-space' ? 'Creates a space from the description read on standard input.' : action === 'rm-space' ? 'Removes a space and all its objects.' : 'Lists the spaces, one a line.';
    process.stdout.write(usage(`hyperdex ${action} [options]${action === 'rm-space' ? ' NAME' : ''}`, what, s));
    return 0;
  }
  return act(action, p.positional, p);
}
