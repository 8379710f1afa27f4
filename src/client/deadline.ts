// One operation's deadline and abort signal. Every wait the operation makes (for a connection, a
// reply, a newer configuration, a pause before retrying) ends by the same instant, so that
// timeoutMs bounds the whole operation, retries included, and an abort ends it at once.

import { Status } from '../common/protocol';
import { AbortError, HyperClientError } from './errors';

/** What each operation may be given as its last argument. */
export interface OperationOptions {
  /** This operation's time limit in ms, from its start to its result, retries included. Default: the client's timeoutMs. */
  readonly timeoutMs?: number;
  /** Aborting it rejects the operation at once with an AbortError; the client stays usable. */
  readonly signal?: AbortSignal;
}

/** The longest a timer can wait in Node (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const TIMEOUT_MS_MAX = 2 ** 31 - 1;

/** Checks a timeoutMs given by a program: a clear error rather than a timer that fires at once. */
export function checkTimeoutMs(timeoutMs: number, what: string): number {
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > TIMEOUT_MS_MAX)
    throw new RangeError(`${what} must be a number of milliseconds in (0, ${TIMEOUT_MS_MAX}], got ${String(timeoutMs)}`);
  return timeoutMs;
}

export class Deadline {
  private readonly endsAt: number;
  /** What last held the operation up (a RECONFIGURE, say): the TIMEOUT error tells it. */
  private holdUp: string | undefined;

  /** `what` names the operation in its errors ("get on phonebook"). */
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly signal: AbortSignal | undefined,
  ) {
    this.endsAt = performance.now() + timeoutMs;
  }

  /** Notes why the operation has to try again, for the TIMEOUT error if the deadline comes first. */
  heldUpBy(e: Error): void {
    this.holdUp = e.message;
  }

  remainingMs(): number {
    return Math.max(0, this.endsAt - performance.now());
  }

  /** The error the operation ends with now, or undefined while it may go on. */
  ended(): Error | undefined {
    if (this.signal?.aborted) return this.abortError();
    return this.remainingMs() > 0 ? undefined : this.timeoutError();
  }

  /** Throws the error the operation ends with, if it has ended. */
  check(): void {
    const e = this.ended();
    if (e) throw e;
  }

  /**
   * Calls `onEnd` once with the operation's error when the deadline passes or the signal fires,
   * unless the returned function (which releases the timer and the listener) is called first.
   */
  watch(onEnd: (e: Error) => void, waitingFor?: string): () => void {
    const now = this.ended();
    if (now) {
      onEnd(now);
      return () => {};
    }
    const release = () => {
      clearTimeout(timer);
      this.signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      release();
      onEnd(this.abortError());
    };
    const timer = setTimeout(() => {
      release();
      onEnd(this.timeoutError(waitingFor));
    }, Math.ceil(this.remainingMs()));
    this.signal?.addEventListener('abort', onAbort, { once: true });
    return release;
  }

  private abortError(): AbortError {
    return new AbortError(this.what, this.signal?.reason);
  }

  private timeoutError(waitingFor?: string): HyperClientError {
    const notes = [waitingFor === undefined ? '' : `waiting for ${waitingFor}`, this.holdUp === undefined ? '' : `last held up by ${this.holdUp}`].filter((n) => n !== '');
    return new HyperClientError(Status.TIMEOUT, `${this.what} did not finish within ${this.timeoutMs} ms${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`);
  }

  /** `p`'s outcome, unless the deadline passes or the signal fires first. */
  race<T>(p: Promise<T>, waitingFor?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const release = this.watch(reject, waitingFor);
      p.then(
        (v) => {
          release();
          resolve(v);
        },
        (e: unknown) => {
          release();
          reject(e);
        },
      );
    });
  }

  /** Waits `ms`, or less when the deadline comes first (then resolves); rejects when the signal fires. */
  async pause(ms: number): Promise<void> {
    if (this.signal?.aborted) throw this.abortError();
    const wait = Math.min(ms, this.remainingMs());
    if (wait <= 0) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(this.abortError());
      };
      const timer = setTimeout(() => {
        this.signal?.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      this.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
