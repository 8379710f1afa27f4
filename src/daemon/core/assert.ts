// The core's invariants fail loudly: an assertion that does not hold is a bug in the core, never
// an operating error, so it throws (and stays on in production, like TigerBeetle's).

export class CoreAssertionError extends Error {}

export function assert(cond: unknown, what: string): asserts cond {
  if (!cond) throw new CoreAssertionError(`core invariant: ${what}`);
}
