// The error every client operation rejects with: a status code as the manual names it, the
// attribute it concerns (for UNKNOWNATTR, WRONGTYPE and DUPEATTR) and a readable message.

import { statusName } from '../common/protocol';

export class HyperClientError extends Error {
  readonly statusName: string;

  constructor(
    readonly status: number,
    message: string,
    readonly attr?: string,
  ) {
    super(`${statusName(status)}: ${message}`);
    this.name = 'HyperClientError';
    this.statusName = statusName(status);
  }
}
