import { describeError } from "../errors.js";
import type { BusObserver, DeliveryOutcome, LifecycleEvent, ListenerInfo } from "../observability/observer.js";
import type { Delivery } from "../transport/transport.js";
import type { ListenerActivity } from "./protocol.js";

/** Ten-second buckets, ten minutes of them: what the dashboard's rate chart spans. */
export const BUCKET_MS = 10_000;
export const HISTORY_BUCKETS = 60;
/** Handled messages are put into their bucket this long before it ends (a timer fired late then still counts them in time order). */
const BEFORE_BUCKET_END_MS = 20;

type Bucket = [start: number, handled: number, failed: number, deadLettered: number];

class Activity {
  failed = 0;
  deadLettered = 0;
  lastError = "";
  lastErrorAt: Date | undefined;
  readonly history: Bucket[] = [];

  /** The runner's counters of this listener, once it subscribed: handled messages are read from them. */
  #listener: ListenerInfo | undefined;
  /** Handled by earlier subscriptions of the same listener id in this process. */
  #handledBefore = 0;
  /** Of the current subscription's handled messages, those already in a bucket. */
  #bucketed = 0;
  /** The newest bucket and when it ends: most calls land in it (one comparison per message). */
  #current: Bucket | undefined;
  #currentEnd = 0;

  get handled(): number {
    return this.#handledBefore + (this.#listener?.handled ?? 0);
  }

  /** The listener subscribed (again): its handled count comes from this ListenerInfo from now on. */
  follow(listener: ListenerInfo, now: number): void {
    if (listener === this.#listener) return;
    this.countHandled(now);
    this.#handledBefore = this.handled;
    this.#listener = listener;
    this.#bucketed = 0;
  }

  /** Puts the messages handled since the last call into the bucket of `now`. */
  countHandled(now: number): void {
    const handled = this.#listener?.handled ?? 0;
    if (handled === this.#bucketed) return;
    this.bucket(now)[1] += handled - this.#bucketed;
    this.#bucketed = handled;
  }

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
 * Handled messages are not reported one by one (countsHandled): a timer moves the runner's
 * count into the bucket just before each bucket ends, and a snapshot brings it up to date.
 */
export class ListenerActivityObserver implements BusObserver {
  readonly countsHandled = true;
  readonly #byListener = new Map<string, Activity>();
  #timer: NodeJS.Timeout | undefined;

  lifecycle(event: LifecycleEvent): void {
    if (event.type === "subscribed") {
      this.#of(event.listener.id).follow(event.listener, Date.now());
      this.#timer ??= this.#countAtBucketEnds();
    } else if (event.type === "closed") {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#countHandled();
    }
  }

  outcome(listener: ListenerInfo, _delivery: Delivery, outcome: DeliveryOutcome): void {
    const activity = this.#of(listener.id);
    const now = Date.now();
    switch (outcome.kind) {
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
      default:
        return;
    }
  }

  /** The counters of one listener id (zeros when it has seen nothing yet). */
  snapshot(listenerId: string): ListenerActivity & { lastError: string } {
    const activity = this.#of(listenerId);
    const now = Date.now();
    activity.countHandled(now);
    const oldest = now - HISTORY_BUCKETS * BUCKET_MS;
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

  #countHandled(): void {
    const now = Date.now();
    for (const activity of this.#byListener.values()) activity.countHandled(now);
  }

  /** A timer (not keeping the process alive) that counts handled messages into each bucket just before it ends. */
  #countAtBucketEnds(): NodeJS.Timeout {
    const now = Date.now();
    let due = now - (now % BUCKET_MS) + BUCKET_MS - BEFORE_BUCKET_END_MS;
    if (due <= now) due += BUCKET_MS;
    const timer = setTimeout(() => {
      this.#countHandled();
      this.#timer = this.#countAtBucketEnds();
    }, due - now);
    timer.unref();
    return timer;
  }

  #of(listenerId: string): Activity {
    let activity = this.#byListener.get(listenerId);
    if (!activity) this.#byListener.set(listenerId, (activity = new Activity()));
    return activity;
  }
}
