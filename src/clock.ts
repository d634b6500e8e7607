/**
 * Time as the in-memory durable transport sees it: retry delays (nak), ack waits and the
 * msgId dedupe window. Production code uses the system clock; the testing kit injects a
 * TestClock that only moves when a test advances it (never a global fake timer).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once `delayMs` have passed on this clock; returns the cancel function. */
  schedule(delayMs: number, callback: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(delayMs, callback) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
