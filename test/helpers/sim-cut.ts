// A scripted situation that several scenarios start from: d1 with a space and objects; d2 joins;
// d1 finishes copying a key region R. Then the coordinator switches R to d2 while d1 and the client
// `old` hear nothing (their configurations are held), and d1 is cut from the coordinator. Returns
// once d2 has stopped waiting for d1's handoff (within `handoffWaitTicksMax`).

import { ServerId, SpaceLayout } from '../../src/common/config';
import { clientNode, coordinator, daemon, Script } from '../../src/sim/scripted';
import { SPACE } from '../../src/sim/workload';
import { Hold, Holdable, SimClient } from '../../src/sim/world';

/** Whether a move report of `regionId` is among the messages a hold kept. */
export function reported(kept: readonly Holdable[], regionId: number): boolean {
  return kept.some((h) => h.kind === 'message' && h.payload.type === 'to-coordinator' && h.payload.message.regionId === regionId);
}

export interface Cut {
  readonly d1: ServerId;
  readonly d2: ServerId;
  readonly space: SpaceLayout;
  readonly R: number;
  readonly old: SimClient;
  /** Ends the partition and lets the held configurations through. */
  readonly heal: () => void;
}

export function cutPastTheHandoffWait(s: Script, handoffWaitTicksMax: number): Cut {
  const [d1] = s.startDaemons(1);
  const space = s.addSpace(SPACE);
  const old = s.client();
  s.putMany(old, space, Array.from({ length: 20 }, (_, i) => [`o${i}`, { n: i, s: 'w0' }] as const));
  const reports: Hold = s.holdMoveReports(d1);
  const d2 = s.addDaemon();
  s.until('a key region moves to d2', () => s.space('kv').subspaces[0].regions.some((r) => r.moving === d2), 100);
  const R = s.space('kv').subspaces[0].regions.find((r) => r.moving === d2)!.id;
  s.until(`d1 finishes copying region ${R}`, () => reported(reports.kept, R), 500);
  const toD1 = s.holdConfigsTo(daemon(d1));
  const toOld = s.holdConfigsTo(clientNode(old));
  s.release(reports);
  s.until(`d2 heads region ${R}`, () => s.configOf(d2).spaces[0].subspaces[0].regions.find((r) => r.id === R)!.replicas[0] === d2, 50);
  const cut = s.partition(daemon(d1), coordinator);
  s.until('d2 stops waiting for the handoff', () => s.core(d2).stats().awaitingHandoff === 0, handoffWaitTicksMax);
  return {
    d1,
    d2,
    space,
    R,
    old,
    heal: () => {
      cut.heal();
      s.release(toD1);
      s.release(toOld);
    },
  };
}
