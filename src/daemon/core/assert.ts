// The core's invariants fail loudly: an assertion that does not hold is a bug in the core, never
// an operating error, so it throws (and stays on in production, like TigerBeetle's).

export class CoreAssertionError extends Error {}

/**
 * A message built from values (a template) is passed as a function, so that it is built only
 * when the assertion fails: these run on every operation.
 */
export function assert(cond: unknown, what: string | (() => string)): asserts cond {
  if (!cond) throw new CoreAssertionError(`core invariant: ${typeof what === 'string' ? what : what()}`);
}
