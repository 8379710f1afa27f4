// What a client hears: the reply of each request kind, built from an outcome. Pure.

import { Status } from '../../common/protocol';
import { Outcome } from '../apply';
import { ClientReply, ClientRequest, StoredRecord } from './types';

/** The outcome that sends a client back to the coordinator for a newer configuration. */
export const reconfigure = (message: string): Outcome => ({ status: Status.RECONFIGURE, attr: '', message });

/** A request that failed, in the shape of a reply to its kind (empty results). */
export function failureReply(req: ClientRequest, o: Outcome): ClientReply {
  if (req.kind === 'get') return { kind: 'get', status: o.status, attr: o.attr, message: o.message };
  if (req.kind === 'write') return { kind: 'write', status: o.status, attr: o.attr, message: o.message };
  if (req.kind === 'search') return { kind: 'search', status: o.status, attr: o.attr, message: o.message, objects: [] };
  return { kind: req.kind, status: o.status, attr: o.attr, message: o.message, count: 0 };
}

export function writeReply(o: Outcome): ClientReply {
  return { kind: 'write', status: o.status, attr: o.attr, message: o.message };
}

/** A read: the values, or NOTFOUND for no record or a tombstone. */
export function getReply(rec: StoredRecord | null): ClientReply {
  return rec?.values ? { kind: 'get', status: Status.SUCCESS, message: '', values: rec.values } : { kind: 'get', status: Status.NOTFOUND, message: '' };
}
