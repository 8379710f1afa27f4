// Bounded waits for a condition that some event makes true (a newer configuration, say): the
// waiter is woken by `notify` when the condition may have changed, or gives up at its deadline.

export class ConditionWaiters {
  private readonly waiters = new Set<() => void>();

  /** Resolves true once `holds()` is true after a notify, or false when `timeoutMs` passes first. */
  waitFor(holds: () => boolean, timeoutMs: number): Promise<boolean> {
    if (holds()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(result);
      };
      const check = () => {
        if (holds()) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Re-checks every waiter's condition. */
  notify(): void {
    if (this.waiters.size === 0) return; // the common case, and notify runs once per write
    for (const w of [...this.waiters]) w();
  }

  get size(): number {
    return this.waiters.size;
  }
}
