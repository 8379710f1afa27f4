// `hyperdex COMMAND ...`: the 1.0 spelling, one program with subcommands.

import { adminCommand, adminCommandList, isAdminCommand } from './admin';
import { ShowVersion, UsageError } from './args';
import { dataCommand, dataCommandsHelp, findDataCommand } from './data-commands';
import { runMain } from './run';
import { coordinatorCommand, daemonCommand } from './servers';
import { consistencyStressCommand } from './consistency-stress';
import { replicationStressCommand } from './replication-stress';
import { shellCommand } from './shell';
import { spaceCommand } from './spaces';

const HELP = `usage: hyperdex COMMAND [options]

commands:
  coordinator      run the coordinator (hyperdex coordinator --help)
  daemon           run a daemon (hyperdex daemon --help)
  add-space        create a space from a description on standard input
  rm-space NAME    remove a space
  list-spaces      list the spaces

data commands (values in JSON, --json output for scripts, -h HOST -p PORT of the coordinator):
${dataCommandsHelp()}  shell            an interactive shell for the commands above (hyperdex shell --help)

administration:
${adminCommandList()}
stress tests (hyperdex replication-stress-test --help):
  replication-stress-test            bounce objects between regions, check each is where it should be
  simple-consistency-stress-test     one writer, readers in reverse order, check no read goes back

Every command takes --help and --version.
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && findDataCommand(command)) return dataCommand(command, rest);
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
    case 'shell':
      return shellCommand(rest);
    case 'replication-stress-test':
      return replicationStressCommand(rest, 'hyperdex replication-stress-test', '1982');
    case 'simple-consistency-stress-test':
      return consistencyStressCommand(rest, 'hyperdex simple-consistency-stress-test', '1982');
    case '--help':
    case '-h':
    case '-?':
    case 'help':
      process.stdout.write(HELP);
      return 0;
    case '--version':
      throw new ShowVersion();
    case undefined:
      throw new UsageError('no command given (coordinator, daemon, add-space, get, put, search, shell, ...)');
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

if (require.main === module) runMain('hyperdex', () => main(process.argv.slice(2)));
