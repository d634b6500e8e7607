import { randomUUID } from "node:crypto";
import { ErrorCodes, EventBusError } from "../errors.js";
import { subjectMatches } from "../subject.js";
import { StatusTracker } from "./status-tracker.js";
import type {
  BusStatus,
  Deliver,
  Delivery,
  InboundMessage,
  MessageHeaders,
  PublishReceipt,
  RequestOptions,
  SendOptions,
  Subscription,
  SubscriptionSpec,
  Transport,
  TransportFeatures,
} from "./transport.js";
import { NOT_STORED } from "./transport.js";

interface MemorySubscriber {
  readonly pattern: string;
  readonly queueGroup: string | undefined;
  readonly deliver: (delivery: Delivery) => unknown;
  /** Deliveries scheduled but not yet handed over; drain waits for them. */
  pending: number;
  draining: boolean;
  drained?: () => void;
  ended?: () => void;
}

/**
 * The in-process message switch. Every MemoryTransport in a process shares the
 * default broker, so two buses in one process talk like two NATS clients.
 */
export class MemoryBroker {
  readonly #subscribers = new Set<MemorySubscriber>();
  readonly #roundRobin = new Map<string, number>();

  add(subscriber: MemorySubscriber): void {
    this.#subscribers.add(subscriber);
  }

  remove(subscriber: MemorySubscriber): void {
    this.#subscribers.delete(subscriber);
  }

  /** Routes like NATS: every plain subscriber, plus one member per queue group. Returns how many got it. */
  route(message: InboundMessage, reply: string | undefined): number {
    const groups = new Map<string, MemorySubscriber[]>();
    let routed = 0;
    for (const subscriber of this.#subscribers) {
      if (subscriber.draining || !subjectMatches(subscriber.pattern, message.subject)) continue;
      if (subscriber.queueGroup === undefined) {
        schedule(subscriber, message, reply, this);
        routed++;
      } else {
        const key = `${subscriber.queueGroup}\u0000${subscriber.pattern}`;
        const members = groups.get(key) ?? [];
        members.push(subscriber);
        groups.set(key, members);
      }
    }
    for (const [key, members] of groups) {
      const turn = this.#roundRobin.get(key) ?? 0;
      this.#roundRobin.set(key, turn + 1);
      schedule(members[turn % members.length]!, message, reply, this);
      routed++;
    }
    return routed;
  }
}

const defaultBroker = new MemoryBroker();

function schedule(subscriber: MemorySubscriber, message: InboundMessage, reply: string | undefined, broker: MemoryBroker): void {
  subscriber.pending++;
  // Asynchronous like a network hop, so publishers never run handlers on their own stack.
  setImmediate(() => {
    subscriber.pending--;
    subscriber.deliver({
      ...message,
      reply,
      deliveryCount: 1,
      respond(data: Uint8Array, headers: MessageHeaders = {}) {
        if (reply === undefined) throw new EventBusError(ErrorCodes.INVALID_LISTENER, `cannot answer the message on "${message.subject}": it has no reply subject`);
        broker.route({ subject: reply, data, headers }, undefined);
      },
    });
    if (subscriber.draining && subscriber.pending === 0) subscriber.drained?.();
  });
}

/** In-process transport: no server, at-most-once, same queue-group and request-reply semantics as core NATS. */
export class MemoryTransport implements Transport {
  readonly name = "memory";
  readonly features: TransportFeatures = { durable: false, redelivery: false, queueGroups: true, requestReply: true };
  readonly #tracker = new StatusTracker();
  readonly #subscribers = new Set<MemorySubscriber>();

  constructor(private readonly broker: MemoryBroker = defaultBroker) {}

  get status(): BusStatus {
    return this.#tracker.status;
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    return this.#tracker.onChange(listener);
  }

  async connect(): Promise<void> {
    this.#tracker.set("connected");
  }

  async publish(subject: string, data: Uint8Array, options: SendOptions = {}): Promise<PublishReceipt> {
    this.#assertConnected(subject);
    this.broker.route({ subject, data, headers: options.headers ?? {} }, undefined);
    return NOT_STORED;
  }

  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<InboundMessage> {
    this.#assertConnected(subject);
    const inbox = `_INBOX.${randomUUID()}`;
    return new Promise<InboundMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.broker.remove(replySubscriber);
        reject(new EventBusError(ErrorCodes.REQUEST_TIMEOUT, `request to "${subject}" got no reply within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const replySubscriber: MemorySubscriber = {
        pattern: inbox,
        queueGroup: undefined,
        pending: 0,
        draining: false,
        deliver: (reply) => {
          clearTimeout(timer);
          this.broker.remove(replySubscriber);
          resolve(reply);
        },
      };
      this.broker.add(replySubscriber);
      if (this.broker.route({ subject, data, headers: options.headers ?? {} }, inbox) === 0) {
        clearTimeout(timer);
        this.broker.remove(replySubscriber);
        reject(new EventBusError(ErrorCodes.NO_RESPONDERS, `no responders for request to "${subject}": nothing listens on it`));
      }
    });
  }

  async subscribe(spec: SubscriptionSpec, deliver: Deliver): Promise<Subscription> {
    this.#assertConnected(spec.subject);
    const subscriber: MemorySubscriber = { pattern: spec.subject, queueGroup: spec.queueGroup, deliver, pending: 0, draining: false };
    this.broker.add(subscriber);
    this.#subscribers.add(subscriber);
    let ended!: (result: undefined) => void;
    const closed = new Promise<undefined>((resolve) => (ended = resolve));
    subscriber.ended = () => ended(undefined);
    return { drain: () => this.#drainSubscriber(subscriber), closed };
  }

  async drain(): Promise<void> {
    await Promise.all([...this.#subscribers].map((subscriber) => this.#drainSubscriber(subscriber)));
    this.#tracker.set("closed");
  }

  async close(): Promise<void> {
    for (const subscriber of this.#subscribers) {
      this.broker.remove(subscriber);
      subscriber.ended?.();
    }
    this.#subscribers.clear();
    this.#tracker.set("closed");
  }

  async #drainSubscriber(subscriber: MemorySubscriber): Promise<void> {
    subscriber.draining = true;
    this.broker.remove(subscriber);
    this.#subscribers.delete(subscriber);
    if (subscriber.pending > 0) await new Promise<void>((resolve) => (subscriber.drained = resolve));
    subscriber.ended?.();
  }

  #assertConnected(subject: string): void {
    if (this.#tracker.status !== "connected") {
      throw new EventBusError(ErrorCodes.NOT_CONNECTED, `cannot use "${subject}": the memory transport is ${this.#tracker.status}; call bus.connect() first`);
    }
  }
}
