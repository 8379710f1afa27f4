// A daemon in the test's own process, against a real coordinator: for tests that reach into it
// (its store, its search counters). Stopped, and its data directory removed, at teardown.

import { readClusterSecret } from '../../src/cli/cluster-secret';
import { Daemon, DaemonOptions } from '../../src/daemon/daemon';
import { Scope, tempDir } from './cluster';

/**
 * Starts a daemon against a coordinator (with its cluster secret file, if it has one); its log
 * lines other than debug ones are appended to `lines`.
 */
export async function startInProcessDaemon(
  t: Scope,
  coord: { port: number; secretFile: string | undefined },
  lines: string[],
  label = 'daemon',
  openStore?: DaemonOptions['openStore'],
): Promise<Daemon> {
  const dataDir = tempDir(t, label);
  const d = await Daemon.start({
    listenHost: '127.0.0.1',
    listenPort: 0,
    coordinatorHost: '127.0.0.1',
    coordinatorPort: coord.port,
    clusterSecret: coord.secretFile === undefined ? undefined : readClusterSecret(coord.secretFile).secret,
    dataDir,
    openStore,
    log: (line, level) => {
      if (level !== 'debug') lines.push(`${level}: ${line}`);
    },
  });
  t.teardown(() => d.stop());
  return d;
}
