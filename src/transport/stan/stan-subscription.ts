import { ErrorCodes, EventBusError, describeError } from "../../errors.js";
import type { Deliver, Delivery, MessageHeaders, Settlement, Subscription } from "../transport.js";
import { whenDelivered } from "../transport.js";
import { decodeFrame } from "./header-frame.js";
import { serverRedeliveryCount, type StanConnection, type StanMessage, type StanSubscription } from "./stan-client.js";
import { applySubscriptionSettings, type StanSubscriptionSettings } from "./stan-options.js";

/** Sequences whose deliveries we count (messages that were acked are forgotten). */
const MAX_TRACKED = 10_000;

/**
 * One durable STAN queue subscription. The message listener is attached before the
 * subscribe request is answered: the server may send stored messages in the same read
 * as its reply. drain() stops handing messages over (those still coming are not acked,
 * so the server gives them to another member after ackWait), waits for the deliveries
 * in flight to be settled, then closes the subscription, which keeps the durable.
 */
export class StanQueueSubscription implements Subscription {
  readonly closed: Promise<Error | undefined>;
  #end!: (error: Error | undefined) => void;
  #stopping = false;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  #draining: Promise<void> | undefined;
  readonly #deliveries = new Map<number, number>();

  private constructor(
    private readonly subscription: StanSubscription,
    private readonly settings: StanSubscriptionSettings,
    private readonly requestTimeoutMs: number,
    private readonly connectionUp: () => boolean,
  ) {
    this.closed = new Promise((resolve) => (this.#end = resolve));
  }

  /** Subscribes and resolves once the server confirmed it; rejects with EB_ERR_SUBSCRIBE. */
  static async open(
    connection: StanConnection,
    settings: StanSubscriptionSettings,
    listenerId: string,
    requestTimeoutMs: number,
    connectionUp: () => boolean,
    deliver: Deliver,
  ): Promise<StanQueueSubscription> {
    const options = applySubscriptionSettings(settings, connection.subscriptionOptions());
    const stanSubscription = connection.subscribe(settings.channel, settings.queueGroup, options);
    const subscription = new StanQueueSubscription(stanSubscription, settings, requestTimeoutMs, connectionUp);
    stanSubscription.on("message", (message: StanMessage) => subscription.#receive(message, deliver));
    try {
      await new Promise<void>((resolve, reject) => {
        stanSubscription.once("ready", () => resolve());
        stanSubscription.once("error", (err: Error | string) => reject(err));
        stanSubscription.once("timeout", (err: Error | string) => reject(err));
      });
    } catch (err) {
      subscription.#end(undefined);
      throw new EventBusError(
        ErrorCodes.SUBSCRIBE,
        `cannot subscribe ${listenerId} to channel "${settings.channel}" (queue group "${settings.queueGroup}", durable "${settings.durableName}"): ${describeError(err)}`,
        { cause: err },
      );
    }
    // After "ready", an error means the subscription is gone (the connection closed under it).
    stanSubscription.on("error", (err: Error | string) => {
      if (!subscription.#draining) subscription.end(err instanceof Error ? err : new Error(String(err)));
    });
    return subscription;
  }

  drain(): Promise<void> {
    this.#draining ??= this.#drain();
    return this.#draining;
  }

  /** The connection ended: nothing can be acked any more. Settles `closed` with `error`. */
  end(error: Error | undefined): void {
    this.#stopping = true;
    this.#end(error);
  }

  async #drain(): Promise<void> {
    this.#stopping = true;
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    // Without a server there is no one to tell (the durable stays either way): do not wait for a timeout.
    if (!this.subscription.isClosed() && this.connectionUp()) await this.#close();
    this.#end(undefined);
  }

  /** close(), not unsubscribe(): the durable queue group and its position stay on the server. */
  async #close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.subscription.once("closed", () => resolve());
      this.subscription.once("error", () => resolve()); // connection already closed: nothing left to close
      this.subscription.once("timeout", () => resolve());
      timer = setTimeout(resolve, this.requestTimeoutMs + 1_000);
      this.subscription.close();
    });
    clearTimeout(timer);
  }

  #receive(message: StanMessage, deliver: Deliver): void {
    if (this.#stopping) return; // not acked: redelivered to another member (or the next process) after ackWait
    const delivery = new StanDelivery(message, this.settings.channel, this.#count(message), () => this.#deliveries.delete(message.getSequence()));
    this.#inFlight++;
    whenDelivered(deliver(delivery), () => {
      if (--this.#inFlight === 0) this.#idle?.();
    });
  }

  /**
   * STAN marks redeliveries and (servers since 0.16) counts them in memory, per
   * subscription or queue group; that count is lost when the server restarts. We also
   * count what this subscription saw, and take the highest of the two: a lower bound.
   */
  #count(message: StanMessage): number {
    const sequence = message.getSequence();
    const seen = (this.#deliveries.get(sequence) ?? 0) + 1;
    const count = Math.max(seen, serverRedeliveryCount(message) + 1, message.isRedelivered() ? 2 : 1);
    this.#deliveries.delete(sequence);
    this.#deliveries.set(sequence, count);
    if (this.#deliveries.size > MAX_TRACKED) this.#deliveries.delete(this.#deliveries.keys().next().value!);
    return count;
  }
}

/** A STAN message as the runner sees it. STAN has no nak: a message not acked comes back after ackWait. */
class StanDelivery implements Delivery, Settlement {
  readonly reply = undefined;
  readonly headers: MessageHeaders;
  readonly data: Uint8Array;

  constructor(
    private readonly message: StanMessage,
    private readonly channel: string,
    readonly deliveryCount: number,
    private readonly forget: () => void,
  ) {
    const raw = message.getRawData();
    const { headers, payload } = decodeFrame(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
    this.headers = headers;
    this.data = payload;
  }

  get subject(): string {
    return this.channel;
  }
  get source(): { stream: string; seq: number } {
    return { stream: this.channel, seq: this.message.getSequence() };
  }
  get settlement(): Settlement {
    return this;
  }

  respond(): void {
    throw new EventBusError(ErrorCodes.INVALID_LISTENER, `cannot answer the NATS Streaming message on "${this.channel}": it has no reply subject`);
  }

  /** STAN does not confirm acks: a lost ack means a redelivery, which at-least-once allows. */
  ack(): void {
    this.message.ack();
    this.forget();
  }
  /** No nak in STAN: leave it unacked; the server redelivers it after ackWait (the delay is not ours to pick). */
  nak(): void {}
  /** Dead-lettered: ack it so the server never sends it again. */
  term(): void {
    this.message.ack();
    this.forget();
  }
}
