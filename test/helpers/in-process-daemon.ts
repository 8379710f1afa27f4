// A daemon in the test's own process, against a real coordinator: for tests that reach into it
// (its store, its search counters). Stopped, and its data directory removed, at teardown.

import { Daemon } from '../../src/daemon/daemon';
import { Scope, tempDir } from './cluster';

/** Starts a daemon; its log lines other than debug ones are appended to `lines`. */
export async function startInProcessDaemon(t: Scope, coordPort: number, lines: string[], label = 'daemon'): Promise<Daemon> {
  const dataDir = tempDir(t, label);
  const d = await Daemon.start({
    listenHost: '127.0.0.1',
    listenPort: 0,
    coordinatorHost: '127.0.0.1',
    coordinatorPort: coordPort,
    dataDir,
    log: (line, level) => {
      if (level !== 'debug') lines.push(`${level}: ${line}`);
    },
  });
  t.teardown(() => d.stop());
  return d;
}
