// `hyperdex COMMAND ...`: the 1.0 spelling, one program with subcommands.

import { adminCommand, adminCommandList, isAdminCommand } from './admin';
import { UsageError } from './args';
import { runMain } from './run';
import { coordinatorCommand, daemonCommand } from './servers';
import { spaceCommand } from './spaces';

const HELP = `usage: hyperdex COMMAND [options]

commands:
  coordinator      run the coordinator (hyperdex coordinator --help)
  daemon           run a daemon (hyperdex daemon --help)
  add-space        create a space from a description on standard input
  rm-space NAME    remove a space
  list-spaces      list the spaces

administration:
${adminCommandList()}

Every command takes --help.
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (isAdminCommand(command)) return adminCommand(command, rest, { program: 'hyperdex', defaultPort: '1982' });
  switch (command) {
    case 'coordinator':
      return coordinatorCommand(rest);
    case 'daemon':
      return daemonCommand(rest);
    case 'add-space':
    case 'rm-space':
    case 'list-spaces':
      return spaceCommand(command, rest);
    case '--help':
    case '-?':
    case 'help':
      process.stdout.write(HELP);
      return 0;
    case undefined:
      throw new UsageError('no command given (coordinator, daemon, add-space, rm-space, list-spaces)');
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

if (require.main === module) runMain('hyperdex', () => main(process.argv.slice(2)));
