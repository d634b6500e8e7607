import type { Clock } from "../clock.js";

interface Timer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when the test says so. The test bus runs retry delays (nak with
 * backoff), ack waits and the msgId dedupe window on it, so "fails twice, then succeeds"
 * or "dead-lettered after 5 attempts" takes milliseconds of real time. It is injected into
 * the test bus; nothing global (Date, setTimeout) is replaced.
 */
export class TestClock implements Clock {
  #now: number;
  #order = 0;
  #timers: Timer[] = [];

  /** Starts at `start` (default: the real time now), so stored messages get plausible dates. */
  constructor(start: number | Date = Date.now()) {
    this.#now = typeof start === "number" ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  schedule(delayMs: number, callback: () => void): () => void {
    const timer: Timer = { at: this.#now + Math.max(0, delayMs), order: this.#order++, callback, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Moves time forward by `ms`, running every timer that falls due, in time order, each at its own time. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`TestClock.advance(ms): ms must be a number >= 0, got ${ms}`);
    const target = this.#now + ms;
    for (let timer = this.#nextDue(target); timer; timer = this.#nextDue(target)) {
      this.#now = timer.at;
      timer.callback();
    }
    this.#now = target;
  }

  /** Milliseconds until the next timer is due (0: due now), or undefined when none is waiting. */
  nextTimerIn(): number | undefined {
    const next = this.#sorted()[0];
    return next && next.at - this.#now;
  }

  /** Timers waiting to run (e.g. retries scheduled by nak). */
  get pendingTimers(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }

  #nextDue(target: number): Timer | undefined {
    const next = this.#sorted()[0];
    if (!next || next.at > target) return undefined;
    this.#timers.splice(this.#timers.indexOf(next), 1);
    return next;
  }

  #sorted(): Timer[] {
    this.#timers = this.#timers.filter((timer) => !timer.cancelled);
    return [...this.#timers].sort((a, b) => a.at - b.at || a.order - b.order);
  }
}
