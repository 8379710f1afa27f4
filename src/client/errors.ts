// What client operations reject with: a HyperClientError, which carries a status as the manual
// names it, or an AbortError when the operation's AbortSignal fired.

import { isStatus, statusName } from '../common/protocol';

/**
 * The string form of a status: the name of its constant in hyperclient_status.h and in the Python
 * module (HYPERCLIENT_NOTFOUND for 8449), so that one name means one thing in every client.
 * A number the protocol does not define is HYPERCLIENT_UNKNOWN.
 */
export function statusCode(status: number): string {
  return isStatus(status) ? `HYPERCLIENT_${statusName(status)}` : 'HYPERCLIENT_UNKNOWN';
}

export class HyperClientError extends Error {
  /** The status as a string, e.g. 'HYPERCLIENT_UNKNOWNSPACE' (statusCode). */
  readonly code: string;
  /** The status's short name, as the message begins with it, e.g. 'UNKNOWNSPACE'. */
  readonly statusName: string;

  constructor(
    /** The status as a number, e.g. 8512. */
    readonly status: number,
    message: string,
    /** The attribute the failure concerns (UNKNOWNATTR, WRONGTYPE, DUPEATTR, OVERFLOW). */
    readonly attr?: string,
  ) {
    super(`${statusName(status)}: ${message}`);
    this.name = 'HyperClientError';
    this.statusName = statusName(status);
    this.code = statusCode(status);
  }
}

/**
 * An operation whose AbortSignal fired. Named and coded as Node's own aborted operations are
 * (name 'AbortError', code 'ABORT_ERR'), with the signal's reason as its cause.
 */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';

  constructor(what: string, reason: unknown) {
    super(`${what} was aborted${reason instanceof Error ? `: ${reason.message}` : ''}`, { cause: reason });
    this.name = 'AbortError';
  }
}
