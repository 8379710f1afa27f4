// Runs tasks one at a time per name, in arrival order: the point leader's per-key ordering.
//
// Uncontended, as nearly every key is, a task starts at once and costs one map entry and one
// promise reaction: the daemon's profile showed the earlier chain of three promises per task.

export class KeyedSerializer {
  /** Per name with a task running: the tasks waiting behind it, first to start first. */
  private readonly queues = new Map<string, (() => void)[]>();
  private drainWaiters: (() => void)[] = [];

  run<T>(name: string, task: () => Promise<T>): Promise<T> {
    const waiting = this.queues.get(name);
    if (waiting === undefined) {
      this.queues.set(name, []);
      return this.start(name, task);
    }
    return new Promise<T>((resolve, reject) => waiting.push(() => void this.start(name, task).then(resolve, reject)));
  }

  private start<T>(name: string, task: () => Promise<T>): Promise<T> {
    let result: Promise<T>;
    try {
      result = task();
    } catch (e) {
      result = Promise.reject(e);
    }
    const next = () => this.next(name);
    result.then(next, next);
    return result;
  }

  /** The task running under `name` finished: start the next one, or forget the name. */
  private next(name: string): void {
    const waiting = this.queues.get(name)!;
    const first = waiting.shift();
    if (first) return first();
    this.queues.delete(name);
    // After this turn's promise jobs, so that the callers' own reactions to their tasks have run.
    if (this.queues.size === 0 && this.drainWaiters.length > 0) setImmediate(() => this.drained());
  }

  private drained(): void {
    if (this.queues.size === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  /** Resolves when every task queued so far (and any queued meanwhile) has finished. */
  drain(): Promise<void> {
    if (this.queues.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  get size(): number {
    return this.queues.size;
  }
}
