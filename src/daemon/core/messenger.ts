// Reliable messages between daemons, on top of PeerBook's bookkeeping (peers.ts): a message that
// wants an answer is sent again until acknowledged, to whichever daemon it should go to by then;
// a message that arrives again is answered again rather than acted on twice. Messages to this
// daemon itself wait in an inbox that the core empties within the same step.

import { ServerId } from '../../common/config';
import { Status } from '../../common/protocol';
import { Clock } from './clock';
import { Effects } from './effects';
import { GAVE_UP, PeerBook } from './peers';
import { MessageId, PeerMessage } from './types';

/** A message that asks for action (everything but an ack). */
export type PeerRequest = Exclude<PeerMessage, { type: 'ack' }>;

export class Messenger {
  private readonly peers: PeerBook;
  /** Messages to this daemon itself, delivered within the same step. */
  private readonly selfInbox: PeerMessage[] = [];

  constructor(
    private readonly serverId: ServerId,
    incarnation: number,
    resendTicks: number | undefined,
    private readonly clock: Clock,
    private readonly effects: Pick<Effects, 'send'>,
  ) {
    this.peers = new PeerBook(incarnation, resendTicks);
  }

  get resendTicks(): number {
    return this.peers.resendTicks;
  }

  get outstanding(): number {
    return this.peers.outstanding.size;
  }

  newId(): MessageId {
    return this.peers.newId();
  }

  /**
   * Sends a message and keeps it until acknowledged: sent again every RESEND_TICKS, to whichever
   * daemon `target` names then (with a new message id when that changes; null gives up).
   * `onDone` runs once: at a SUCCESS ack, one that `final` accepts, or giving up. Other answers
   * (RECONFIGURE, a failed store) are retried at the next resend.
   */
  sendTracked(message: PeerMessage, target: () => ServerId | undefined | null, onDone: (status: number) => void, final: (status: number) => boolean = () => false): void {
    const to = target();
    if (to === null) return onDone(GAVE_UP);
    const onAck = (status: number) => {
      if (status === Status.SUCCESS || status === GAVE_UP || final(status)) return onDone(status);
      this.peers.track(to ?? -1, message, this.clock.now, onAck, target);
    };
    this.peers.track(to ?? -1, message, this.clock.now, onAck, target);
    if (to !== undefined) this.sendNow(to, message);
  }

  /** Sends again what is due; a message whose target changed goes out with a new id, stamped `configVersion`. */
  resendDue(configVersion: number): void {
    const now = this.clock.now;
    for (const o of this.peers.due(now)) {
      const to = o.target();
      if (to === null) {
        this.peers.outstanding.delete(o.message.id.seq);
        o.onAck(GAVE_UP, 'gave up');
        continue;
      }
      o.sentAt = now;
      if (to === undefined) continue;
      if (to !== o.to) {
        // Another daemon now: a new message (the old one, if it arrives, is judged on its own).
        this.peers.outstanding.delete(o.message.id.seq);
        const message = { ...o.message, id: this.peers.newId(), configVersion } as PeerMessage;
        this.peers.track(to, message, now, o.onAck, o.target);
        this.sendNow(to, message);
        continue;
      }
      o.sends++;
      this.sendNow(to, o.message);
    }
  }

  /** Answers a message, and remembers the answer for its resends. */
  ack(to: ServerId, m: PeerMessage, status: number, message: string): void {
    this.peers.answered(to, m.id, status, message);
    this.sendNow(to, { type: 'ack', id: m.id, status, message });
  }

  /**
   * An arriving message: an ack settles what it answers; a message seen before is answered again
   * (or ignored while still being acted on, or from an earlier life of its sender). Returns the
   * message to act on, only the first time it arrives.
   */
  receive(from: ServerId, m: PeerMessage): PeerRequest | undefined {
    if (m.type === 'ack') {
      const o = this.peers.acked(m.id);
      if (o) o.onAck(m.status, m.message);
      return undefined;
    }
    const seen = this.peers.receive(from, m.id);
    if (seen === 'stale' || seen === 'pending') return undefined;
    if (seen !== 'new') {
      this.sendNow(from, { type: 'ack', id: m.id, status: seen.status, message: seen.message });
      return undefined;
    }
    return m;
  }

  /** Forgets a message whose handling was abandoned (it will be handled when sent again). */
  forget(from: ServerId, id: MessageId): void {
    this.peers.forget(from, id);
  }

  /** The next message this daemon sent itself, if any. */
  takeFromSelf(): PeerMessage | undefined {
    return this.selfInbox.shift();
  }

  private sendNow(to: ServerId, message: PeerMessage): void {
    if (to === this.serverId) this.selfInbox.push(message);
    else this.effects.send(to, message);
  }
}
