// What a client call ended with, as a test compares it: the status name and attribute of a
// HyperClientError, or 'no error'.

import { HyperClientError } from '../../src/client/client';

export async function statusOf(p: Promise<unknown> | (() => Promise<unknown>)): Promise<{ status: string; attr?: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof HyperClientError) return { status: e.statusName, attr: e.attr };
    throw e;
  }
  return { status: 'no error' };
}
