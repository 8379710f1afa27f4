// Requests and peer messages that cannot be handled yet wait here: one from a newer configuration
// until this daemon has it, one for a region whose handoff has not come until it comes. Each waits
// a bounded number of ticks; all are tried again whenever something they may wait for happens.

import { Outcome } from '../apply';
import { assert } from './assert';
import { Clock } from './clock';
import { reconfigure } from './replies';
import { CoreEvent } from './types';

/** Ticks a request or message from a newer configuration waits for this daemon to catch up. */
export const CONFIG_WAIT_TICKS = 40;
/** Requests and messages parked at once (waiting for a configuration or a handoff). */
export const PARKED_MAX = 65_536;

export type Parkable = Extract<CoreEvent, { type: 'request' | 'peer' }>;

interface Parked {
  readonly event: Parkable;
  readonly until: number;
}

export class Parking {
  private parked: Parked[] = [];

  constructor(
    private readonly clock: Clock,
    /** Handles an event again, as if it had just come (it may park again). */
    private readonly redispatch: (event: Parkable) => void,
    /** Gives up on an event: its client hears `outcome`; a peer's message is forgotten. */
    private readonly refuse: (event: Parkable, outcome: Outcome) => void,
  ) {}

  get size(): number {
    return this.parked.length;
  }

  park(event: Parkable, ticks: number): void {
    if (this.parked.length >= PARKED_MAX) return this.refuse(event, reconfigure(`over ${PARKED_MAX} requests waiting for configurations`));
    this.parked.push({ event, until: this.clock.now + ticks });
  }

  /** Tries every parked event again (a configuration or a handoff came), in the order they came. */
  unpark(): void {
    const parked = this.parked;
    this.parked = [];
    for (const p of parked) this.redispatch(p.event);
  }

  /**
   * At a tick: an event whose wait is over is tried again if it is a request whose configuration
   * has come, else refused. The others keep waiting, in order with any that park again meanwhile.
   */
  expire(configVersion: number): void {
    const parked = this.parked;
    this.parked = [];
    for (const p of parked) {
      if (p.until > this.clock.now) this.parked.push(p);
      else if (p.event.type === 'request' && p.event.request.configVersion <= configVersion) this.redispatch(p.event);
      else this.refuse(p.event, reconfigure(`waited ${CONFIG_WAIT_TICKS} ticks for configuration ${p.event.type === 'request' ? p.event.request.configVersion : '?'}`));
    }
  }

  checkInvariants(): void {
    assert(this.parked.length <= PARKED_MAX, 'parked requests bounded');
  }
}
