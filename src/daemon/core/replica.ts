// A daemon as a replica: it applies the updates other daemons send it (a point leader's chain
// steps to a region it heads; copies and forwards of a region moving here), each only when newer
// than what it holds, and forwards them on while the region moves away. It also takes a moving
// region's reset and, as a region's new head, the previous head's handoff.

import { ServerId } from '../../common/config';
import { Status } from '../../common/protocol';
import { Effects } from './effects';
import { Messenger } from './messenger';
import { Parking } from './parking';
import { Regions, updateWrite } from './regions';
import { enqueue, KeySlots, Slot } from './slots';
import { PeerMessage } from './types';

export class Replica {
  constructor(
    private readonly serverId: ServerId,
    private readonly effects: Pick<Effects, 'persist'>,
    private readonly regions: Pick<Regions, 'awaitsHandoff' | 'handoffArrived' | 'handoffWait' | 'hasWork' | 'lateRefused' | 'onwardOf' | 'ref' | 'version'>,
    private readonly keys: Pick<KeySlots, 'forgetRegion' | 'hold' | 'release' | 'schedule' | 'slotFor'>,
    private readonly messenger: Pick<Messenger, 'ack' | 'newId' | 'resendTicks' | 'sendTracked'>,
    private readonly parking: Pick<Parking, 'park' | 'unpark'>,
  ) {}

  /** An update of a key: a chain step from the point leader, or a copy or forward of a moving region. */
  onUpdate(from: ServerId, m: Extract<PeerMessage, { type: 'update' }>): void {
    const ref = this.regions.ref(m.regionId);
    if (!ref || ref.space.id !== m.spaceId || ref.subspace !== m.subspace) return this.messenger.ack(from, m, ref ? Status.BADREQUEST : Status.UNKNOWNSPACE, `no region ${m.regionId} here`);
    const head = ref.region.replicas[0] === this.serverId;
    const awaiting = this.regions.awaitsHandoff(m.regionId);
    if (m.transfer) {
      // Copies and forwards from the current head while the region moves here, or from the
      // previous head until it has handed the region off.
      if (ref.region.moving !== this.serverId && !(head && awaiting)) return this.messenger.ack(from, m, Status.RECONFIGURE, `region ${m.regionId} is not moving here`);
    } else {
      if (!head) return this.messenger.ack(from, m, Status.RECONFIGURE, `server ${this.serverId} does not head region ${m.regionId}`);
      if (awaiting) return this.parking.park({ type: 'peer', from, message: m }, this.regions.handoffWait());
    }
    const slot = this.keys.slotFor(m.regionId, m.key);
    enqueue(slot, (s) => this.applyUpdate(s, from, m));
    this.keys.schedule(slot);
  }

  /** Applies an update if it is newer than the record held, forwards it while the region moves, acks. */
  private applyUpdate(slot: Slot, from: ServerId, m: Extract<PeerMessage, { type: 'update' }>): void {
    const have = slot.record!;
    if (have && have.version >= m.record.version) return this.messenger.ack(from, m, Status.SUCCESS, '');
    // The region may have gone (its space removed) while the record was loaded.
    const ref = this.regions.ref(m.regionId);
    if (!ref) return this.messenger.ack(from, m, Status.UNKNOWNSPACE, `region ${m.regionId} is gone`);
    this.keys.hold(slot);
    const write = updateWrite(ref, m.key, m.record);
    const next = write.op === 'del' ? null : m.record;
    slot.record = next;
    this.effects.persist([write], (ok, message) => {
      if (!ok) {
        slot.record = undefined;
        slot.stable = undefined;
        this.messenger.ack(from, m, Status.SERVERERROR, `storage: ${message}`);
        return this.keys.release(slot);
      }
      slot.stable = next;
      const onward = this.regions.onwardOf(m.regionId);
      if (onward === null) {
        this.messenger.ack(from, m, Status.SUCCESS, '');
        return this.keys.release(slot);
      }
      // The region moves on: its next head gets the update before the sender hears back.
      const forward: PeerMessage = { ...m, id: this.messenger.newId(), configVersion: this.regions.version, transfer: true };
      // Refused as late, the sender hears RECONFIGURE and sends the update to the region's head.
      this.messenger.sendTracked(
        forward,
        () => this.regions.onwardOf(m.regionId),
        (status) => {
          this.messenger.ack(from, m, status === Status.RECONFIGURE ? Status.RECONFIGURE : Status.SUCCESS, status === Status.RECONFIGURE ? `region ${m.regionId} moved away from server ${this.serverId}` : '');
          this.keys.release(slot);
        },
        (status) => status === Status.UNKNOWNSPACE || this.regions.lateRefused(m.regionId, status),
      );
    });
  }

  /** The head starts copying a region here: what is left of it from an earlier copy goes. */
  onReset(from: ServerId, m: Extract<PeerMessage, { type: 'reset' }>): void {
    const ref = this.regions.ref(m.regionId);
    if (!ref || ref.region.moving !== this.serverId) return this.messenger.ack(from, m, Status.RECONFIGURE, `region ${m.regionId} is not moving here`);
    // Copies of an earlier attempt still being applied: the reset waits for them.
    if (this.regions.hasWork(m.regionId)) return this.parking.park({ type: 'peer', from, message: m }, this.messenger.resendTicks);
    this.keys.forgetRegion(m.regionId);
    this.effects.persist([{ op: 'drop-region', region: { spaceId: ref.space.id, subspace: ref.subspace, regionId: m.regionId } }], (ok, message) => this.messenger.ack(from, m, ok ? Status.SUCCESS : Status.SERVERERROR, message));
  }

  /** The previous head is done with a region: this daemon may serve it. */
  onHandoff(from: ServerId, m: Extract<PeerMessage, { type: 'handoff' }>): void {
    this.regions.handoffArrived(m.regionId);
    this.messenger.ack(from, m, Status.SUCCESS, '');
    this.parking.unpark();
  }
}
