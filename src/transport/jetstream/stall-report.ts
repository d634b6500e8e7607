import type { ConsumerEvent } from "../transport.js";

export type StallReason = ConsumerEvent["reason"];

/**
 * The stall state of one consumer pump: a stall is reported once when it begins, and once
 * more when deliveries resume (with how long it lasted), however many failed attempts lie
 * between. Also keeps why the pump has no consumer to read from, for health checks.
 */
export class StallReport {
  readonly #listeners: Array<(event: ConsumerEvent) => void> = [];
  #stall: { reason: StallReason; since: number } | undefined;
  /** Why there is no consumer to read from now (no leader, timeout), for health checks. */
  waiting: string | undefined;

  constructor(
    private readonly stream: string,
    private readonly consumer: string,
  ) {}

  get reason(): StallReason | undefined {
    return this.#stall?.reason;
  }

  onEvent(listener: (event: ConsumerEvent) => void): void {
    this.#listeners.push(listener);
  }

  stalled(reason: StallReason, detail: string): void {
    if (this.#stall) return;
    this.#stall = { reason, since: Date.now() };
    this.#emit({ type: "stalled", stream: this.stream, consumer: this.consumer, reason, detail });
  }

  recovered(): void {
    const stall = this.#stall;
    if (!stall) return;
    this.#stall = undefined;
    this.waiting = undefined;
    this.#emit({ type: "recovered", stream: this.stream, consumer: this.consumer, reason: stall.reason, detail: "pulling again", downMs: Date.now() - stall.since });
  }

  #emit(event: ConsumerEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
