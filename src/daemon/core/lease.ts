// How long this daemon may serve clients without hearing from the coordinator. The coordinator
// fails a daemon it has not heard from within its failure timeout and may then give the daemon's
// regions to others; a daemon cut off (or frozen) must stop serving before a new head starts
// serving what it held, or it would answer reads from a copy no longer current. So: clients are
// served only while the coordinator was heard from within the lease, and a new head waits for a
// previous head's handoff for longer than a lease.
//
// The lease is three heartbeat intervals (the coordinator sends four per failure timeout), told by
// the shell from the coordinator's HEARTBEAT. Configurations and heartbeats come in order on one
// connection: a daemon that heard the coordinator after a configuration has that configuration.

import { HANDOFF_WAIT_TICKS } from './regions';

/** A lease in ticks from the coordinator's failure timeout: three of its four heartbeat intervals. */
export function leaseTicksFor(failureTimeoutMs: number, tickMs: number): number {
  return Math.max(1, Math.floor((failureTimeoutMs * 3) / 4 / tickMs));
}

/** What a new head waits beyond a lease for the previous head's handoff (scheduling, delays). */
export const LEASE_MARGIN_TICKS = 50;

export class Lease {
  private lastHeard = 0;
  /** Undefined until the coordinator says how long its failure timeout is: no lease then. */
  private ticks: number | undefined;

  constructor(private readonly clock: { readonly now: number }) {}

  /** The coordinator was heard from (any message); `leaseTicks` when a heartbeat said how long. */
  heard(leaseTicks: number | undefined): void {
    this.lastHeard = this.clock.now;
    if (leaseTicks !== undefined) this.ticks = leaseTicks;
  }

  /** Ticks since the coordinator was last heard from, when that is longer than the lease; else undefined. */
  expired(): number | undefined {
    const silent = this.clock.now - this.lastHeard;
    return this.ticks !== undefined && silent > this.ticks ? silent : undefined;
  }

  /** How long a new head waits for the previous head's handoff: longer than any daemon's lease. */
  get handoffWaitTicks(): number {
    return this.ticks === undefined ? HANDOFF_WAIT_TICKS : Math.max(HANDOFF_WAIT_TICKS, this.ticks + LEASE_MARGIN_TICKS);
  }
}
