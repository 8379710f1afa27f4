// Messages between daemons, reliably: every message that wants an answer is kept until its ack
// comes and sent again (with the same id) every RESEND_TICKS; a receiver recognises a message it
// has seen by its id and answers it again instead of acting twice. Pure bookkeeping: the core
// decides what to send and what an ack means.

import { ServerId } from '../../common/config';
import { MessageId, PeerMessage } from './types';

/** Ticks between sends of a message that has no ack yet, by default. */
export const RESEND_TICKS = 5;
/** Message ids remembered per sender, for recognising resends and duplicates. */
export const SEEN_PER_SENDER_MAX = 65_536;
/** Messages awaiting an ack at once: past this, the core refuses new work. */
export const OUTSTANDING_MAX = 1 << 20;

/** A status no daemon sends: the sender gave up on a message (its target went away). */
export const GAVE_UP = -1;

export interface Outstanding {
  to: ServerId;
  message: PeerMessage;
  sentAt: number;
  sends: number;
  /** Called with the ack's status (or GAVE_UP); the entry is gone by then. */
  readonly onAck: (status: number, message: string) => void;
  /** Where the message should go now: undefined while nobody, null to give up. */
  readonly target: () => ServerId | undefined | null;
}

type Answer = { status: number; message: string } | 'pending';

/** What one sender's incarnation has sent us: ids in arrival order, with the answer once known. */
interface SenderLog {
  incarnation: number;
  readonly answers: Map<number, Answer>;
}

export class PeerBook {
  private nextSeq = 1;
  readonly outstanding = new Map<number, Outstanding>();
  private readonly seen = new Map<ServerId, SenderLog>();

  constructor(
    readonly incarnation: number,
    readonly resendTicks = RESEND_TICKS,
  ) {}

  newId(): MessageId {
    return { incarnation: this.incarnation, seq: this.nextSeq++ };
  }

  /** Keeps a message until its ack; the caller sends it now. */
  track(to: ServerId, message: PeerMessage, now: number, onAck: Outstanding['onAck'], target: Outstanding['target']): void {
    if (this.outstanding.size >= OUTSTANDING_MAX) throw new Error(`more than ${OUTSTANDING_MAX} messages awaiting acks`);
    this.outstanding.set(message.id.seq, { to, message, sentAt: now, sends: 1, onAck, target });
  }

  /** An ack arrived: the waiting entry, removed, or undefined for an ack of something settled. */
  acked(id: MessageId): Outstanding | undefined {
    if (id.incarnation !== this.incarnation) return undefined;
    const o = this.outstanding.get(id.seq);
    if (o) this.outstanding.delete(id.seq);
    return o;
  }

  /** The messages due to be sent again. */
  due(now: number): Outstanding[] {
    const out: Outstanding[] = [];
    for (const o of this.outstanding.values()) if (now - o.sentAt >= this.resendTicks) out.push(o);
    return out;
  }

  /**
   * Classifies an arriving message: 'new' (act on it, then call answered), 'stale' (from an
   * earlier life of the sender: ignore), 'pending' (seen, still being acted on: ignore), or the
   * answer already given (send it again).
   */
  receive(from: ServerId, id: MessageId): 'new' | 'stale' | 'pending' | { status: number; message: string } {
    let log = this.seen.get(from);
    if (log && id.incarnation < log.incarnation) return 'stale';
    if (!log || id.incarnation > log.incarnation) {
      log = { incarnation: id.incarnation, answers: new Map() };
      this.seen.set(from, log);
    }
    const known = log.answers.get(id.seq);
    if (known !== undefined) return known;
    log.answers.set(id.seq, 'pending');
    // Oldest first out: a resend arrives within a few RESEND_TICKS of the first send, long before
    // this many later messages of one sender.
    if (log.answers.size > SEEN_PER_SENDER_MAX) log.answers.delete(log.answers.keys().next().value!);
    return 'new';
  }

  /** Records the answer to a message, so that a resend of it gets the same answer. */
  answered(from: ServerId, id: MessageId, status: number, message: string): void {
    const log = this.seen.get(from);
    if (log && log.incarnation === id.incarnation && log.answers.has(id.seq)) log.answers.set(id.seq, { status, message });
  }

  /** Forgets a message whose handling was abandoned (it will be handled when sent again). */
  forget(from: ServerId, id: MessageId): void {
    const log = this.seen.get(from);
    if (log && log.incarnation === id.incarnation && log.answers.get(id.seq) === 'pending') log.answers.delete(id.seq);
  }
}
