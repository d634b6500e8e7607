import type { EventBusOptions } from "../../bus/options.js";
import { ErrorCodes, EventBusError, describeError, isEventBusError } from "../../errors.js";
import { JetStreamTransport } from "../jetstream/jetstream-transport.js";
import { StatusTracker } from "../status-tracker.js";
import type {
  BusStatus,
  Deliver,
  InboundMessage,
  PublishReceipt,
  RequestOptions,
  SendOptions,
  Subscription,
  SubscriptionSpec,
  Transport,
  TransportFeatures,
} from "../transport.js";
import { StanTransport } from "./stan-transport.js";

/**
 * "stan+jetstream", the dual-publish period of a move from STAN to JetStream: every
 * publish goes to the streaming server and to JetStream (resolving once both stored it,
 * with JetStream's receipt); listeners and request-reply stay on STAN. Listener processes
 * switch to "jetstream" one queue group at a time; see docs/migrating-from-stan.md.
 */
export class StanDualPublishTransport implements Transport {
  readonly name = "stan+jetstream";
  readonly #stan: StanTransport;
  readonly #jetstream: JetStreamTransport;
  readonly #tracker = new StatusTracker();
  #connected = false;

  constructor(options: EventBusOptions) {
    this.#stan = new StanTransport(options);
    this.#jetstream = new JetStreamTransport(options);
    this.#stan.onStatus(() => this.#recompute());
    this.#jetstream.onStatus(() => this.#recompute());
  }

  get features(): TransportFeatures {
    return this.#stan.features;
  }

  get status(): BusStatus {
    return this.#tracker.status;
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    return this.#tracker.onChange(listener);
  }

  async connect(): Promise<void> {
    this.#connected = false;
    this.#tracker.set("connecting");
    try {
      await this.#stan.connect();
      await this.#jetstream.connect().catch(async (err: unknown) => {
        await this.#stan.close();
        throw err;
      });
    } catch (err) {
      this.#tracker.set("closed");
      throw err;
    }
    this.#connected = true;
    this.#recompute();
  }

  /** Resolves once both stored the message. When one side failed, the error says which one has it. */
  async publish(subject: string, data: Uint8Array, options?: SendOptions): Promise<PublishReceipt> {
    const [jetstream, stan] = await Promise.allSettled([this.#jetstream.publish(subject, data, options), this.#stan.publish(subject, data, options)]);
    if (jetstream.status === "fulfilled" && stan.status === "fulfilled") return jetstream.value;
    const failed = jetstream.status === "rejected" ? jetstream.reason : (stan as PromiseRejectedResult).reason;
    const stored = jetstream.status === "fulfilled" ? "stored by JetStream only" : stan.status === "fulfilled" ? "stored by STAN only" : "stored by neither";
    throw new EventBusError(
      isEventBusError(failed) ? failed.code : ErrorCodes.PUBLISH,
      `dual publish to "${subject}": ${stored} (${describeError(failed)}); publishing it again stores it in STAN again (JetStream dedupes with a msgId)`,
      { cause: failed },
    );
  }

  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<InboundMessage> {
    return this.#stan.request(subject, data, options);
  }

  subscribe(spec: SubscriptionSpec, deliver: Deliver): Promise<Subscription> {
    return this.#stan.subscribe(spec, deliver);
  }

  async drain(): Promise<void> {
    this.#connected = false;
    await Promise.all([this.#stan.drain(), this.#jetstream.drain()]);
    this.#tracker.set("closed");
  }

  async close(): Promise<void> {
    this.#connected = false;
    await Promise.all([this.#stan.close(), this.#jetstream.close()]);
    this.#tracker.set("closed");
  }

  /** connected while both are; closed once either closed for good (the other is closed with it); reconnecting otherwise. */
  #recompute(): void {
    if (!this.#connected) return;
    const statuses = [this.#stan.status, this.#jetstream.status];
    if (statuses.includes("closed")) {
      void this.close();
      return;
    }
    this.#tracker.set(statuses.every((status) => status === "connected") ? "connected" : "reconnecting");
  }
}
