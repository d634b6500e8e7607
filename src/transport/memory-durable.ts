import { defaultOptions } from "../bus/options.js";
import { ErrorCodes, EventBusError } from "../errors.js";
import type { MemoryMembership } from "./memory-consumer.js";
import type { MemoryStreamStore } from "./memory-store.js";
import { isDelayed } from "./stream-features.js";
import { MemoryTransport } from "./memory.js";
import type {
  BusStatus,
  Deliver,
  InboundMessage,
  ProvisionChange,
  PublishReceipt,
  RequestOptions,
  SendOptions,
  StreamState,
  Subscription,
  SubscriptionSpec,
  Transport,
  TransportFeatures,
} from "./transport.js";
import { whenDelivered } from "./transport.js";

/**
 * The memory transport with JetStream's durable semantics, for tests: publish stores the
 * message in a stream of `store` (msgId deduplicated within the stream's window) and
 * resolves with its receipt; durable listeners read from consumers with explicit acks, so
 * the ListenerRunner's own outcome policy runs unchanged (ack, nak with backoff delay,
 * maxDeliver, dead letter + term). Delays run on the store's clock. Request-reply and
 * `durable: false` listeners go through the store's core switch. One store is one
 * "server": give every bus of a test the same store.
 */
export class DurableMemoryTransport implements Transport {
  readonly name = "memory";
  readonly features: TransportFeatures = { durable: true, redelivery: true, queueGroups: true, requestReply: true, delayedDelivery: true, messageTtl: true, exclusive: true };
  readonly #core: MemoryTransport;
  readonly #memberships = new Set<MemoryMembership>();

  constructor(
    readonly store: MemoryStreamStore,
    /** How long a delivery that ended unsettled waits before it is delivered again (a listener's ackWaitMs wins). */
    private readonly ackWaitMs: number = defaultOptions.ackWaitMs,
  ) {
    this.#core = new MemoryTransport(store.broker);
  }

  get status(): BusStatus {
    return this.#core.status;
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    return this.#core.onStatus(listener);
  }

  connect(): Promise<void> {
    return this.#core.connect();
  }

  async publish(subject: string, data: Uint8Array, options: SendOptions = {}): Promise<PublishReceipt> {
    if (this.status !== "connected") {
      throw new EventBusError(ErrorCodes.NOT_CONNECTED, `cannot publish to "${subject}": the memory transport is ${this.status}; call bus.connect() first`);
    }
    const headers = options.headers ?? {};
    const receipt = this.store.store(subject, data, headers, options.msgId, options);
    // Like a JetStream publish, a stored message also reaches plain core subscribers of its subject
    // (a delayed one does not: JetStream produces it inside the stream).
    if (!receipt.duplicate && !isDelayed(options)) await this.#core.publish(subject, data, { headers });
    return receipt;
  }

  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<InboundMessage> {
    return this.#core.request(subject, data, options);
  }

  async subscribe(spec: SubscriptionSpec, deliver: Deliver): Promise<Subscription> {
    const { activity } = this.store;
    if (!spec.durable) {
      // Tracked, so that settled() also waits for request responders and core listeners.
      return this.#core.subscribe(spec, (delivery) => {
        const done = activity.begin(`${spec.listenerId}: core message on "${delivery.subject}"`);
        const handled = deliver(delivery);
        whenDelivered(handled, done);
        return handled;
      });
    }
    if (this.status !== "connected") {
      throw new EventBusError(ErrorCodes.NOT_CONNECTED, `cannot listen on "${spec.subject}": the memory transport is ${this.status}; call bus.connect() first`);
    }
    const membership = this.store.consumer(spec, this.ackWaitMs).attach(spec.concurrency, deliver);
    this.#memberships.add(membership);
    return {
      closed: membership.closed,
      drain: async () => {
        this.#memberships.delete(membership);
        await membership.drain();
      },
    };
  }

  /** Nothing to create in memory; refuses what JetStream's provisioning refuses (see MemoryStreamStore.checkListeners). */
  async provision(specs: readonly SubscriptionSpec[]): Promise<ProvisionChange[]> {
    this.store.checkListeners(specs);
    return [];
  }

  async inspect(): Promise<StreamState[]> {
    return this.store.inspect();
  }

  async drain(): Promise<void> {
    const memberships = [...this.#memberships];
    this.#memberships.clear();
    await Promise.all(memberships.map((membership) => membership.drain()));
    await this.#core.drain();
  }

  async close(): Promise<void> {
    for (const membership of this.#memberships) membership.close();
    this.#memberships.clear();
    await this.#core.close();
  }
}
