/**
 * Time is injected. Business timestamps (expires_at, created_at, carrier timing, job run_at) come
 * from a Clock, never from the database's now(), so tests drive minute-long flows in milliseconds.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(start: Date | number = Date.UTC(2026, 0, 15, 12, 0, 0)) {
    this.ms = typeof start === 'number' ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    if (ms < 0) throw new Error('assertion: a clock does not go back');
    this.ms += ms;
  }
  set(at: Date): void {
    this.ms = at.getTime();
  }
}
