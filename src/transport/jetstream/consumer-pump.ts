import type { ConsumeCallback, Consumer, FetchMessages } from "@nats-io/jetstream";
import { errors as natsErrors } from "@nats-io/transport-node";
import { backoffDelayMs } from "../../backoff.js";
import { describeError } from "../../errors.js";
import type { ConsumerEvent, Deliver, ExclusiveRole, Subscription, SubscriptionLiveness } from "../transport.js";
import { whenDelivered } from "../transport.js";
import type { ConsumerHandle } from "./consumer-handle.js";
import { JetStreamDelivery, type AckableMessage, type DeliveryLink } from "./jetstream-delivery.js";
import type { PinnedPull } from "./pinned-pull.js";
import { StallReport } from "./stall-report.js";
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
/** The connection was closed by the bus: the subscription ends without an error. */
const CLOSED = new Error("connection closed");

/**
 * Pulls from one durable consumer in bounded batches (`fetch`: a short expiry, idle
 * heartbeats) that never ask for more than the concurrency leaves (running + asked for <=
 * concurrency; a new pull goes out whenever a quarter is free, so pulls overlap and messages
 * keep flowing), and hands each message over at once, so nothing waits in a client buffer and
 * every message the server sent is accounted for: it runs, or (while draining) goes back with
 * nak at once.
 *
 * Liveness: a pull that loses its heartbeats (the consumer's leader moved), fails (no
 * leader, consumer deleted) or delivers nothing while the consumer holds pending
 * messages is replaced by a new pull, on a consumer looked up (or re-created) again.
 * Each stall and each recovery is reported once through onConsumerEvent().
 *
 * drain() stops pulling, lets every pull it sent end on the server (batch filled or
 * expired, at most `pullExpiresMs`), gives back what they still bring, and waits for the
 * handlers in flight, whose acks the transport then flushes. While a handler runs longer than half
 * of ackWait it sends "working" so the server does not redeliver it mid-way.
 *
 * Exclusive listeners (`pinned`): the pulls carry the pin (pinned-pull.ts), and one stays out
 * while the message is handled (the consumer lets one message be unacknowledged, so it brings
 * the next one only after the ack): the server hears from the active process at least once
 * per pull expiry, so it keeps its place through long handlers. A process standing by is
 * never reported stalled; a drain gives the place up first, so a standby takes over at once.
 */
export class ConsumerPump implements Subscription {
  readonly closed: Promise<Error | undefined>;
  readonly #pulling: Promise<Error | undefined>;
  readonly #inFlight = new Map<AckableMessage, number>();
  #stopping = false;
  #wake: (() => void) | undefined;
  #idle: (() => void) | undefined;
  #lastProgress = Date.now();
  readonly #report: StallReport;
  #checking = false;
  /** Messages the pulls in flight may still bring. */
  #asked = 0;
  readonly #pulls = new Set<Promise<void>>();
  #failures = 0;
  /** Counts failures: pulls sent before the latest one failed belong to its wave. */
  #wave = 0;
  /** Set when the loop must end: the connection closed (CLOSED) or the server refused us for good. */
  #ended: Error | undefined;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly handle: ConsumerHandle,
    private readonly settings: PumpSettings,
    private readonly deliver: Deliver,
    private readonly link: DeliveryLink,
    private readonly pinned?: PinnedPull,
  ) {
    this.#report = new StallReport(handle.stream, handle.name);
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
    // The server answers our waiting pull 423 once a standby is picked: the drain ends sooner too.
    await this.pinned?.release();
    await this.#pulling;
    // With no standby waiting, the server may have pinned our last pull again (what it brought went back):
    // give that pin up too, or a process started later would wait out the exclusive timeout.
    await this.pinned?.release();
  }

  liveness(): SubscriptionLiveness {
    return { stalled: this.#report.reason !== undefined, waiting: this.#report.waiting, idleMs: Date.now() - this.#lastProgress };
  }

  onConsumerEvent(listener: (event: ConsumerEvent) => void): void {
    this.#report.onEvent(listener);
  }

  onExclusiveRole(listener: (role: ExclusiveRole) => void): void {
    this.pinned?.onRole(listener);
  }

  /**
   * The pull loop: sends a bounded pull whenever a quarter of the concurrency is free and not
   * yet asked for, so pulls overlap and messages keep flowing while a batch is handled. Ends on
   * drain once every pull it sent ended on the server, when the connection closed, or on a
   * permission error.
   */
  async #pull(): Promise<Error | undefined> {
    const { ackWaitMs, stallThresholdMs } = this.settings;
    this.#every(Math.max(250, ackWaitMs / 4), () => this.#sendWorking());
    this.#every(Math.min(5_000, Math.max(250, stallThresholdMs / 4)), () => void this.#checkProgress());
    while (!this.#stopping && !this.#ended) {
      await this.#roomForBatch();
      if (this.#stopping || this.#ended) break;
      if (this.#failures > 0) await this.#pause(backoffDelayMs(this.#failures, RETRY));
      if (this.#stopping || this.#ended) break;
      let consumer: Consumer;
      try {
        consumer = await this.#consumer();
      } catch (err) {
        this.#fetchFailed(err);
        continue;
      }
      const size = this.#free();
      this.#asked += size;
      const pull = this.#fetch(consumer, size).finally(() => {
        this.#pulls.delete(pull);
        this.#wakeUp();
      });
      this.#pulls.add(pull);
      // One pull at a time while it fails: the next one waits for this one's outcome.
      if (this.#failures > 0) await pull;
    }
    while (this.#pulls.size > 0) await Promise.all(this.#pulls);
    return this.#ended === CLOSED ? undefined : this.#ended;
  }

  /** Settles `closed`: after the pull loop and every handler it started (their "working" keeps going until then). */
  async #finish(): Promise<Error | undefined> {
    const ended = await this.#pulling;
    if (this.#inFlight.size > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    for (const timer of this.#timers) clearInterval(timer);
    return ended;
  }

  async #consumer(): Promise<Consumer> {
    const { consumer, recreated } = await this.handle.get();
    this.#report.waiting = undefined;
    if (recreated) this.#report.stalled("consumer-deleted", "the consumer was missing; re-created it from the provisioned configuration");
    return consumer;
  }

  /** One bounded pull of `size` messages, until the batch is full or the pull expires on the server. */
  async #fetch(consumer: Consumer, size: number): Promise<void> {
    const wave = this.#wave;
    let received = 0;
    try {
      await this.#pullInto(consumer, size, (msg) => {
        received++;
        this.#asked--;
        this.#arrived(msg);
      });
      this.#failures = 0;
      // The server answered the pull to its end (filled or expired): the consumer is alive. A
      // stall for lack of progress ends only with a delivery (an empty pull proves nothing there).
      if (this.#report.reason !== "no-progress") this.#report.recovered();
    } catch (err) {
      this.#fetchFailed(err, wave);
    } finally {
      this.#asked -= size - received;
    }
  }

  /**
   * Sends one pull and hands each message it brings to `arrived` as nats.js parses it (fetch's
   * callback mode: no async iterator, so no promise and no queue per message); resolves when the
   * pull ended on the server, throws what ended it otherwise (heartbeats missed, 409, 503 …).
   */
  async #pullInto(consumer: Consumer, size: number, arrived: (msg: AckableMessage) => void): Promise<void> {
    const { pullExpiresMs: expires, heartbeatMs: heartbeat } = this.settings;
    if (this.pinned) {
      for await (const msg of this.pinned.pull(size, expires, heartbeat)) arrived(msg);
      return;
    }
    // fetch() builds the same message handler as consume(), whose `callback` it honours too (typed for consume() only).
    const options: FetchMessages & ConsumeCallback = { max_messages: size, expires, idle_heartbeat: heartbeat, callback: arrived };
    const messages = await consumer.fetch(options);
    const error = await messages.closed();
    if (error) throw error;
  }

  /** Pulls sent before a failure that fail the same way count once: one leader change ends them all. */
  #fetchFailed(err: unknown, wave = this.#wave): void {
    if (err instanceof natsErrors.ClosedConnectionError) this.#ended = CLOSED; // the bus closed its connection
    else if (err instanceof natsErrors.PermissionViolationError) this.#ended = err;
    else if (wave === this.#wave) {
      this.#wave++;
      this.#failed(err, ++this.#failures);
    }
  }

  #arrived(msg: AckableMessage): void {
    this.#lastProgress = Date.now();
    this.#report.recovered();
    if (this.#stopping) {
      msg.nak(); // arrived while draining, not started: back to the stream for the other members at once
      return;
    }
    this.#inFlight.set(msg, Date.now());
    whenDelivered(this.deliver(new JetStreamDelivery(msg, this.link)), () => this.#settled(msg));
  }

  #settled(msg: AckableMessage): void {
    if (this.#inFlight.size >= this.settings.concurrency) this.#lastProgress = Date.now(); // room again: idle time counts from now
    this.#inFlight.delete(msg);
    this.#wakeUp();
    if (this.#inFlight.size === 0) this.#idle?.();
  }

  /**
   * Waits until a quarter of the concurrency is neither running nor asked for, so a busy listener
   * pulls in batches instead of one message per pull (each pull costs a subscription and a round
   * trip); an idle listener has all of it free, so it always has a pull waiting.
   */
  async #roomForBatch(): Promise<void> {
    const smallest = Math.ceil(this.settings.concurrency / 4);
    while (!this.#stopping && !this.#ended && this.#free() < smallest) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** How many messages a new pull may ask for. An exclusive listener's pull stays out while its message runs (see the class comment). */
  #free(): number {
    return this.settings.concurrency - this.#asked - (this.pinned ? 0 : this.#inFlight.size);
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
    if (/heartbeats missed/i.test(message)) return this.#report.stalled("heartbeats-missed", "the pull stopped hearing from the server (its consumer leader changed or was lost)");
    // The server ends waiting pulls with "409 Leadership Change" when the consumer's leader steps down.
    if (/leadership change/i.test(message)) return this.#report.stalled("leader-change", "the consumer's leader changed; pulling from the new one");
    if (/consumer deleted/i.test(message)) {
      this.handle.forget();
      return this.#report.stalled("consumer-deleted", message);
    }
    const cause = jetStreamCause(err);
    if (cause.kind === "no-leader" || cause.kind === "timeout") {
      // No leader yet: pulling again is cheap (503 at once) while a lookup waits for its timeout
      // during an election; every tenth attempt, look again, in case the consumer itself is gone.
      if (attempt % 10 === 0) this.handle.forget();
      this.#report.waiting = `stream "${this.handle.stream}" / consumer "${this.handle.name}": ${cause.text}`;
      return this.#report.stalled(cause.kind, cause.text);
    }
    this.handle.forget();
    this.#report.stalled("pull-failed", status === undefined ? message : `${status} ${message}`);
  }

  /**
   * Pending messages, room to take them, and nothing arrived for the stall threshold: report it,
   * and make the next pull look the consumer up afresh. The current pull is left to end on the
   * server (it expires within pullExpiresMs): closing it early would drop what it still brings.
   */
  async #checkProgress(): Promise<void> {
    if (this.#stopping || this.#checking || this.#report.reason) return;
    // Standing by is waiting for the active process, not a stall.
    if (this.pinned && !this.pinned.active) return;
    if (this.#inFlight.size >= this.settings.concurrency) return;
    const idleMs = Date.now() - this.#lastProgress;
    if (idleMs < this.settings.stallThresholdMs) return;
    this.#checking = true;
    try {
      const { pending, ackPending } = await this.handle.progress();
      if (pending === 0 || this.#stopping || Date.now() - this.#lastProgress < this.settings.stallThresholdMs) return;
      // An exclusive consumer brings nothing while its one message waits for an ack or its retry delay.
      if (this.pinned && ackPending > 0) return;
      this.#report.stalled("no-progress", `${pending} messages pending, none delivered for ${Math.round(idleMs / 1000)} s`);
      this.handle.forget();
    } catch {
      // Cannot ask the server now: the pull's own heartbeats decide.
    } finally {
      this.#checking = false;
    }
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
