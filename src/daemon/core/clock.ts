// Time in the core is a count of the shell's `tick` events, never a clock read: a step's outcome
// depends only on the events before it, so a seed replays exactly.

export interface Clock {
  readonly now: number;
}

export class TickClock implements Clock {
  private ticks = 0;

  get now(): number {
    return this.ticks;
  }

  tick(n = 1): void {
    this.ticks += n;
  }
}
