import { describeError } from "../errors.js";
import type { BusObserver, DeliveryOutcome, ListenerInfo } from "../observability/observer.js";
import type { Delivery } from "../transport/transport.js";
import type { ListenerActivity } from "./protocol.js";

/** Ten-second buckets, ten minutes of them: what the dashboard's rate chart spans. */
export const BUCKET_MS = 10_000;
export const HISTORY_BUCKETS = 60;

type Bucket = [start: number, handled: number, failed: number, deadLettered: number];

class Activity {
  handled = 0;
  failed = 0;
  deadLettered = 0;
  lastError = "";
  lastErrorAt: Date | undefined;
  readonly history: Bucket[] = [];

  /** The newest bucket and when it ends: most calls land in it (one comparison per message). */
  #current: Bucket | undefined;
  #currentEnd = 0;

  /** The bucket of `now`, appended when the last one is older (history stays sorted and bounded). */
  bucket(now: number): Bucket {
    if (now < this.#currentEnd && now >= this.#current![0]) return this.#current!;
    const start = now - (now % BUCKET_MS);
    const last = this.history.at(-1);
    if (last && last[0] === start) return last;
    const bucket: Bucket = [start, 0, 0, 0];
    this.#current = bucket;
    this.#currentEnd = start + BUCKET_MS;
    this.history.push(bucket);
    if (this.history.length > HISTORY_BUCKETS) this.history.shift();
    return bucket;
  }
}

/**
 * Counts what became of each listener's deliveries in this process (an observer: it sees
 * outcomes and changes none), for the discovery responder's `$SRV.STATS` answers. Wall-clock
 * buckets, so the dashboard can add up the histories of processes started at different times.
 */
export class ListenerActivityObserver implements BusObserver {
  readonly #byListener = new Map<string, Activity>();

  outcome(listener: ListenerInfo, _delivery: Delivery, outcome: DeliveryOutcome): void {
    const activity = this.#of(listener.id);
    const now = Date.now();
    switch (outcome.kind) {
      case "handled":
        activity.handled++;
        activity.bucket(now)[1]++;
        return;
      case "failed":
        activity.failed++;
        activity.bucket(now)[2]++;
        activity.lastError = `${outcome.code}: ${describeError(outcome.error)}`;
        activity.lastErrorAt = new Date(now);
        return;
      case "dead-lettered":
        if (!outcome.stored) return;
        activity.deadLettered++;
        activity.bucket(now)[3]++;
        return;
      case "ack-failed":
        return;
    }
  }

  /** The counters of one listener id (zeros when it has seen nothing yet). */
  snapshot(listenerId: string): ListenerActivity & { lastError: string } {
    const activity = this.#of(listenerId);
    const oldest = Date.now() - HISTORY_BUCKETS * BUCKET_MS;
    return {
      handled: activity.handled,
      failed: activity.failed,
      deadLettered: activity.deadLettered,
      lastError: activity.lastError,
      ...(activity.lastErrorAt && { lastErrorAt: activity.lastErrorAt.toISOString() }),
      bucketMs: BUCKET_MS,
      history: activity.history.filter((bucket) => bucket[0] >= oldest).map((bucket) => [...bucket] as const),
    };
  }

  #of(listenerId: string): Activity {
    let activity = this.#byListener.get(listenerId);
    if (!activity) this.#byListener.set(listenerId, (activity = new Activity()));
    return activity;
  }
}
