// Runs tasks one at a time per name, in arrival order: the point leader's per-key ordering.
//
// Uncontended, as nearly every key is, a task starts at once and costs one map entry and one
// promise reaction: the daemon's profile showed the earlier chain of three promises per task.

/** Per name with a task running: the tasks waiting behind it, first to start first. */
interface Queue {
  readonly waiting: (() => void)[];
  /** The tag given with the last waiting task, until that task starts (see lastWaiting). */
  tail: unknown;
}

export class KeyedSerializer {
  private readonly queues = new Map<string, Queue>();
  private drainWaiters: (() => void)[] = [];

  /**
   * Runs `task` once every task queued before it under `name` has finished. `tag`, when the task
   * has to wait, is what lastWaiting answers until it starts: a caller may then add work to it
   * instead of queueing more tasks.
   */
  run<T>(name: string, task: () => Promise<T>, tag?: unknown): Promise<T> {
    const q = this.queues.get(name);
    if (q === undefined) {
      this.queues.set(name, { waiting: [], tail: undefined });
      return this.start(name, task);
    }
    q.tail = tag;
    return new Promise<T>((resolve, reject) =>
      q.waiting.push(() => {
        if (q.waiting.length === 0 && q.tail === tag) q.tail = undefined;
        void this.start(name, task).then(resolve, reject);
      }),
    );
  }

  /**
   * Takes `name`, which must be free (see isBusy), as a task would that started now; release()
   * ends it. For work that needs no promise of its own (the daemon's fast writes).
   */
  take(name: string): void {
    if (this.queues.has(name)) throw new Error(`serializer: ${name} is taken already`);
    this.queues.set(name, { waiting: [], tail: undefined });
  }

  /** Ends what take took: the next task waiting under `name` starts. */
  release(name: string): void {
    this.next(name);
  }

  /** Whether a task runs under `name` now (a new one would wait). */
  isBusy(name: string): boolean {
    return this.queues.has(name);
  }

  /** The tag of the last task waiting under `name`, if that task has not started. */
  lastWaiting(name: string): unknown {
    return this.queues.get(name)?.tail;
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
    const q = this.queues.get(name)!;
    const first = q.waiting.shift();
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
