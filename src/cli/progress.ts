// A progress line for long-running tools, on standard error: a bar redrawn in place on a
// terminal (cli-progress), a plain line every few seconds otherwise (a log, a pipe, a test), so
// that a run under a CI job still shows it is alive without flooding the log.

import { SingleBar } from 'cli-progress';

const PLAIN_EVERY_MS = 5000;
/** How often the counters are handed to the bar at most: it redraws 10 times a second anyway. */
const UPDATE_EVERY_MS = 100;

export class Progress {
  private readonly bar: SingleBar;
  private lastUpdateMs = 0;
  private stopped = false;

  /**
   * `total`: the units of work of a whole run (the bar's 100 %); `describe`: the counters after
   * the bar, e.g. "12 inconsistencies, 0 errors", read at each update.
   */
  constructor(
    total: number,
    private readonly describe: () => string,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    const terminal = stream.isTTY === true;
    this.bar = new SingleBar({
      stream,
      format: terminal ? '[{bar}] {value}/{total} {text} {duration_formatted}' : '{value}/{total} {text}, {duration_formatted}',
      noTTYOutput: true,
      notTTYSchedule: PLAIN_EVERY_MS,
      // Off a terminal nothing can be cleared, and the last line would be followed by an empty one.
      clearOnComplete: !terminal,
      hideCursor: terminal,
      barsize: 30,
    });
    this.bar.start(total, 0, { text: describe() });
  }

  /** The work done so far; cheap enough to call after every operation. */
  update(done: number): void {
    const now = Date.now();
    if (this.stopped || now - this.lastUpdateMs < UPDATE_EVERY_MS) return;
    this.lastUpdateMs = now;
    this.bar.update(done, { text: this.describe() });
  }

  /** Draws the last state and ends the line; later updates are ignored. */
  stop(done: number): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bar.update(done, { text: this.describe() });
    this.bar.stop();
  }
}
