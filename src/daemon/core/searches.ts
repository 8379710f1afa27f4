// Searches, counts and group_del at the head of each region they read: a search reads its regions
// (only the first-axis interval its checks allow, in a secondary subspace) and keeps what matches;
// group_del then erases each match through its point leader, which deletes it only if it still
// matches. An erase is a write at the point leader, whose outcome goes back as the ack.

import { findServer, findSpaceById, keyRegion, ServerId, SpaceLayout } from '../../common/config';
import { WireCheck } from '../../common/messages';
import { axisInterval } from '../../common/planner';
import { firstFailingCheck, resolveChecks } from '../../common/predicate';
import { AtomicFlag, Status } from '../../common/protocol';
import { attributeByName } from '../../common/schema';
import { checkKey, Outcome } from '../apply';
import { Effects } from './effects';
import { Messenger } from './messenger';
import { Parking } from './parking';
import { Regions } from './regions';
import { failureReply, reconfigure } from './replies';
import { addWrite, KeySlots } from './slots';
import { ClientRequest, CoreEvent, PeerMessage } from './types';

export class Searches {
  constructor(
    private readonly effects: Pick<Effects, 'reply' | 'scan'>,
    private readonly regions: Pick<Regions, 'addWork' | 'handoffWait' | 'config' | 'ref' | 'served' | 'version'>,
    private readonly keys: Pick<KeySlots, 'schedule' | 'slotFor'>,
    private readonly messenger: Pick<Messenger, 'ack' | 'newId' | 'sendTracked'>,
    private readonly parking: Pick<Parking, 'park'>,
  ) {}

  /** A search, count or group_del: reads each region (as its head), keeps the objects that match. */
  onSearch(ev: Extract<CoreEvent, { type: 'request' }>, space: SpaceLayout, req: Extract<ClientRequest, { kind: 'search' | 'count' | 'group-del' }>): void {
    const fail = (o: Outcome) => this.effects.reply(ev.client, ev.requestId, failureReply(req, o));
    if (req.subspace >= space.subspaces.length) return fail({ status: Status.BADREQUEST, attr: '', message: `space ${space.name} has no subspace ${req.subspace}` });
    const checks = resolveChecks(space.spec, req.checks);
    if (!Array.isArray(checks)) return fail(checks);
    for (const id of req.regions) {
      const served = this.regions.served(id);
      if (served === 'wait') return this.parking.park(ev, this.regions.handoffWait());
      if (!('space' in served) || served.space.id !== space.id || served.subspace !== req.subspace) return fail('space' in served ? reconfigure(`region ${id} is not of subspace ${req.subspace}`) : served);
    }
    const objects: { key: Buffer; values: readonly Buffer[] }[] = [];
    let waiting = req.regions.length;
    const finish = () => {
      if (req.kind === 'group-del') return this.eraseMatches(space, objects.map((o) => o.key), req.checks, (count) => this.effects.reply(ev.client, ev.requestId, { kind: 'group-del', status: Status.SUCCESS, message: '', count }));
      if (req.kind === 'count') this.effects.reply(ev.client, ev.requestId, { kind: 'count', status: Status.SUCCESS, message: '', count: objects.length });
      else this.effects.reply(ev.client, ev.requestId, { kind: 'search', status: Status.SUCCESS, message: '', objects });
    };
    // The store may read only the interval of the subspace's first axis that the checks allow.
    const first = space.subspaces[req.subspace].attributes[0];
    const firstAttr = attributeByName(space.spec, first)!;
    const interval = req.subspace > 0 ? axisInterval(firstAttr.attr.type, req.checks.filter((c) => c.name === first)) : undefined;
    for (const id of req.regions) {
      this.regions.addWork(id, 1);
      this.effects.scan(this.regions.ref(id)!.address, interval ?? undefined, (rows) => {
        for (const [key, rec] of rows) if (rec.values && !firstFailingCheck(checks, key, rec.values)) objects.push({ key, values: rec.values });
        this.regions.addWork(id, -1);
        if (--waiting === 0) finish();
      });
    }
    if (waiting === 0) finish();
  }

  /**
   * group_del's deletes: each match is erased through its point leader, which deletes it only if
   * it still matches then. `done` gets how many were deleted.
   */
  private eraseMatches(space: SpaceLayout, keys: readonly Buffer[], checks: readonly WireCheck[], done: (count: number) => void): void {
    let waiting = keys.length;
    let deleted = 0;
    if (waiting === 0) return done(0);
    for (const key of keys) {
      const message: PeerMessage = { type: 'erase', id: this.messenger.newId(), configVersion: this.regions.version, spaceId: space.id, key, checks };
      const leader = () => {
        const now = findSpaceById(this.regions.config, space.id);
        return now ? keyRegion(now, key).replicas[0] : null;
      };
      // An erase is not idempotent: it goes to one point leader until that one answers that it
      // did nothing (RECONFIGURE); only then to the next. Sent elsewhere after a silence, it could
      // be applied twice and delete a newer object.
      let to = leader();
      this.messenger.sendTracked(
        message,
        () => (to === null || to === undefined || findServer(this.regions.config, to) ? to : null),
        (status) => {
          if (status === Status.SUCCESS) deleted++;
          if (--waiting === 0) done(deleted);
        },
        (status) => {
          if (status !== Status.RECONFIGURE) return true;
          to = leader();
          return false;
        },
      );
    }
  }

  /** An erase from a group_del: a write at this point leader whose outcome goes back as the ack. */
  onErase(from: ServerId, m: Extract<PeerMessage, { type: 'erase' }>): void {
    const space = findSpaceById(this.regions.config, m.spaceId);
    if (!space) return this.messenger.ack(from, m, Status.UNKNOWNSPACE, `no space with id ${m.spaceId}`);
    if (checkKey(space.spec, m.key)) return this.messenger.ack(from, m, Status.BADREQUEST, 'a malformed key');
    const region = keyRegion(space, m.key);
    const served = this.regions.served(region.id);
    if (served === 'wait') return this.parking.park({ type: 'peer', from, message: m }, this.regions.handoffWait());
    if (!('space' in served)) return this.messenger.ack(from, m, served.status, served.message);
    const request = { configVersion: this.regions.version, spaceId: m.spaceId, key: m.key, flags: AtomicFlag.FAIL_IF_NOT_FOUND | AtomicFlag.ERASE, checks: m.checks, funcs: [] };
    const slot = this.keys.slotFor(region.id, m.key);
    addWrite(slot, { request, respond: (o) => this.messenger.ack(from, m, o.status, o.message) });
    this.keys.schedule(slot);
  }
}
