import type { JsMsg } from "@nats-io/jetstream";
import { errors as natsErrors } from "@nats-io/transport-node";
import { backoffDelayMs } from "../../backoff.js";
import { describeError } from "../../errors.js";
import type { ConsumerEvent, Delivery, Subscription, SubscriptionLiveness } from "../transport.js";
import type { ConsumerHandle } from "./consumer-handle.js";
import { JetStreamDelivery } from "./jetstream-delivery.js";
import { jetStreamCause } from "./unavailable.js";

export interface PumpSettings {
  /** Most messages handed over and not yet settled at once; the pump never pulls more. */
  readonly concurrency: number;
  readonly ackWaitMs: number;
  /** How long one pull waits on the server before it expires; a drain waits at most this long for the last pull. */
  readonly pullExpiresMs: number;
  /** The server sends a heartbeat this often while a pull waits; two missed end the pull (it was lost, e.g. to a leader change). */
  readonly heartbeatMs: number;
  /** Pending messages and nothing delivered for this long (with room to take more): the consumer is reported stalled and pulled afresh. */
  readonly stallThresholdMs: number;
}

export const DEFAULT_PULL_EXPIRES_MS = 3_000;
export const DEFAULT_PULL_HEARTBEAT_MS = 1_000;
const RETRY = { initialDelayMs: 250, maxDelayMs: 1_000 };

type StallReason = ConsumerEvent["reason"];

/**
 * Pulls from one durable consumer in bounded batches (`fetch`: at most the free
 * concurrency, a short expiry, idle heartbeats) and hands each message over at once,
 * so nothing waits in a client buffer and every message the server sent is accounted
 * for: it either runs, or (while draining) goes back with nak at once.
 *
 * Liveness: a pull that loses its heartbeats (the consumer's leader moved), fails (no
 * leader, consumer deleted) or delivers nothing while the consumer holds pending
 * messages is replaced by a new pull, on a consumer looked up (or re-created) again.
 * Each stall and each recovery is reported once through onConsumerEvent().
 *
 * drain() stops pulling, lets the last pull end on the server (batch filled or expired,
 * at most `pullExpiresMs`), gives back what it still brings, and waits for the handlers
 * in flight, whose acks the transport then flushes. While a handler runs longer than half
 * of ackWait it sends "working" so the server does not redeliver it mid-way.
 */
export class ConsumerPump implements Subscription {
  readonly closed: Promise<Error | undefined>;
  readonly #pulling: Promise<Error | undefined>;
  readonly #inFlight = new Map<JsMsg, number>();
  readonly #listeners: Array<(event: ConsumerEvent) => void> = [];
  #stopping = false;
  #wake: (() => void) | undefined;
  #idle: (() => void) | undefined;
  #lastProgress = Date.now();
  #stall: { reason: StallReason; since: number } | undefined;
  #waiting: string | undefined;
  #checking = false;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly handle: ConsumerHandle,
    private readonly settings: PumpSettings,
    private readonly deliver: (delivery: Delivery) => Promise<void>,
    /** The connected server's version: decides whether term() may carry a reason. */
    private readonly serverVersion: () => string | undefined = () => undefined,
  ) {
    this.#pulling = this.#pull();
    this.closed = this.#finish();
  }

  /**
   * Resolves once nothing more can arrive: the last pull ended on the server and what it
   * brought since the drain began went back (nak). Handlers still running finish after it
   * (`closed` waits for them; the runner bounds that wait by drainTimeoutMs).
   */
  async drain(): Promise<void> {
    this.#stopping = true;
    this.#wakeUp();
    await this.#pulling;
  }

  liveness(): SubscriptionLiveness {
    return { stalled: this.#stall !== undefined, waiting: this.#waiting, idleMs: Date.now() - this.#lastProgress };
  }

  onConsumerEvent(listener: (event: ConsumerEvent) => void): void {
    this.#listeners.push(listener);
  }

  /** The pull loop: ends on drain (after the last pull ended), when the connection closed, or on a permission error. */
  async #pull(): Promise<Error | undefined> {
    const { ackWaitMs, stallThresholdMs } = this.settings;
    this.#every(Math.max(250, ackWaitMs / 4), () => this.#sendWorking());
    this.#every(Math.min(5_000, Math.max(250, stallThresholdMs / 4)), () => void this.#checkProgress());
    let failures = 0;
    while (!this.#stopping) {
      await this.#roomForOne();
      if (this.#stopping) break;
      try {
        await this.#pullOnce();
        failures = 0;
      } catch (err) {
        if (err instanceof natsErrors.ClosedConnectionError) return undefined; // the bus closed its connection
        if (err instanceof natsErrors.PermissionViolationError) return err;
        this.#failed(err, ++failures);
        await this.#pause(backoffDelayMs(failures, RETRY));
      }
    }
    return undefined;
  }

  /** Settles `closed`: after the pull loop and every handler it started (their "working" keeps going until then). */
  async #finish(): Promise<Error | undefined> {
    const ended = await this.#pulling;
    if (this.#inFlight.size > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    for (const timer of this.#timers) clearInterval(timer);
    return ended;
  }

  /** One bounded pull: as many messages as there is room for, until the batch is full or the pull expires. */
  async #pullOnce(): Promise<void> {
    const { consumer, recreated } = await this.handle.get();
    this.#waiting = undefined;
    if (recreated) this.#stalled("consumer-deleted", "the consumer was missing; re-created it from the provisioned configuration");
    const pull = await consumer.fetch({
      max_messages: this.settings.concurrency - this.#inFlight.size,
      expires: this.settings.pullExpiresMs,
      idle_heartbeat: this.settings.heartbeatMs,
    });
    for await (const msg of pull) this.#arrived(msg);
    // The server answered the pull to its end (filled or expired): the consumer is alive. A
    // stall for lack of progress ends only with a delivery (an empty pull proves nothing there).
    if (this.#stall?.reason !== "no-progress") this.#recovered();
  }

  #arrived(msg: JsMsg): void {
    this.#lastProgress = Date.now();
    this.#recovered();
    if (this.#stopping) {
      msg.nak(); // arrived while draining, not started: back to the stream for the other members at once
      return;
    }
    this.#inFlight.set(msg, Date.now());
    void this.deliver(new JetStreamDelivery(msg, this.serverVersion)).finally(() => this.#settled(msg));
  }

  #settled(msg: JsMsg): void {
    if (this.#inFlight.size >= this.settings.concurrency) this.#lastProgress = Date.now(); // room again: idle time counts from now
    this.#inFlight.delete(msg);
    this.#wakeUp();
    if (this.#inFlight.size === 0) this.#idle?.();
  }

  #roomForOne(): Promise<void> {
    if (this.#inFlight.size < this.settings.concurrency) return Promise.resolve();
    return new Promise<void>((resolve) => (this.#wake = resolve));
  }

  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /**
   * A pull or a lookup failed (`attempt` times in a row): say why once, and decide whether the
   * next attempt pulls again at once or looks the consumer up again first (it may have vanished).
   */
  #failed(err: unknown, attempt: number): void {
    const message = describeError(err);
    const status = (err as { code?: unknown }).code;
    if (/heartbeats missed/i.test(message)) return this.#stalled("heartbeats-missed", "the pull stopped hearing from the server (its consumer leader changed or was lost)");
    // The server ends waiting pulls with "409 Leadership Change" when the consumer's leader steps down.
    if (/leadership change/i.test(message)) return this.#stalled("leader-change", "the consumer's leader changed; pulling from the new one");
    if (/consumer deleted/i.test(message)) {
      this.handle.forget();
      return this.#stalled("consumer-deleted", message);
    }
    const cause = jetStreamCause(err);
    if (cause.kind === "no-leader" || cause.kind === "timeout") {
      // No leader yet: pulling again is cheap (503 at once) while a lookup waits for its timeout;
      // after a few, look again, in case the consumer itself is gone.
      if (attempt >= 3) this.handle.forget();
      this.#waiting = `stream "${this.handle.stream}" / consumer "${this.handle.name}": ${cause.text}`;
      return this.#stalled(cause.kind, cause.text);
    }
    this.handle.forget();
    this.#stalled("pull-failed", status === undefined ? message : `${status} ${message}`);
  }

  /**
   * Pending messages, room to take them, and nothing arrived for the stall threshold: report it,
   * and make the next pull look the consumer up afresh. The current pull is left to end on the
   * server (it expires within pullExpiresMs): closing it early would drop what it still brings.
   */
  async #checkProgress(): Promise<void> {
    if (this.#stopping || this.#checking || this.#stall) return;
    if (this.#inFlight.size >= this.settings.concurrency) return;
    const idleMs = Date.now() - this.#lastProgress;
    if (idleMs < this.settings.stallThresholdMs) return;
    this.#checking = true;
    try {
      const pending = await this.handle.pending();
      if (pending === 0 || this.#stopping || Date.now() - this.#lastProgress < this.settings.stallThresholdMs) return;
      this.#stalled("no-progress", `${pending} messages pending, none delivered for ${Math.round(idleMs / 1000)} s`);
      this.handle.forget();
    } catch {
      // Cannot ask the server now: the pull's own heartbeats decide.
    } finally {
      this.#checking = false;
    }
  }

  #stalled(reason: StallReason, detail: string): void {
    if (this.#stall) return;
    this.#stall = { reason, since: Date.now() };
    this.#emit({ type: "stalled", stream: this.handle.stream, consumer: this.handle.name, reason, detail });
  }

  #recovered(): void {
    const stall = this.#stall;
    if (!stall) return;
    this.#stall = undefined;
    this.#waiting = undefined;
    this.#emit({ type: "recovered", stream: this.handle.stream, consumer: this.handle.name, reason: stall.reason, detail: "pulling again", downMs: Date.now() - stall.since });
  }

  #emit(event: ConsumerEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #every(ms: number, run: () => void): void {
    const timer = setInterval(run, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  #sendWorking(): void {
    const due = Date.now() - this.settings.ackWaitMs / 2;
    for (const [msg, since] of this.#inFlight) {
      if (since > due) continue;
      msg.working();
      this.#inFlight.set(msg, Date.now());
    }
  }
}
