// Settles promises in the order they were handed in: a store's write() promises must settle in
// the order of the calls, even when one is refused at once (a bad batch) or held back (faulty.ts).

export class InOrder {
  private tail: Promise<unknown> = Promise.resolve();

  /** `p`, settled only after every promise handed in before it has settled. */
  settle<T>(p: Promise<T>): Promise<T> {
    // Handled here at once: a rejection waiting for its turn is not an unhandled one.
    p.catch(() => undefined);
    const out = this.tail.then(() => p);
    this.tail = out.catch(() => undefined);
    return out;
  }

  /** Resolves once every promise handed in so far has settled. */
  drained(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
