/**
 * The Transport seam. A transport moves bytes and headers; it never sees JSON
 * (the Codec does that) and never calls a handler (the ListenerRunner does).
 *
 * To add a transport: implement this interface, declare honest `features`,
 * register a factory in create-transport.ts, and run the conformance suite
 * (test/conformance) against it with those features.
 */
export type BusStatus = "connecting" | "connected" | "reconnecting" | "closed";

export type MessageHeaders = Readonly<Record<string, string>>;

/** What a transport guarantees; the conformance suite reads these to pick its checks. */
export interface TransportFeatures {
  /** Messages published while no one listens are kept and delivered later. */
  readonly durable: boolean;
  /** A message that was not acknowledged is delivered again. */
  readonly redelivery: boolean;
  readonly queueGroups: boolean;
  readonly requestReply: boolean;
}

export interface InboundMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MessageHeaders;
}

/** One message handed to the runner. */
export interface Delivery extends InboundMessage {
  /** Set when the sender waits for an answer (request-reply). */
  readonly reply: string | undefined;
  /** 1 for the first delivery; higher when the transport redelivers. */
  readonly deliveryCount: number;
  /** Sends an answer to `reply`. Throws when the message has no reply subject. */
  respond(data: Uint8Array, headers?: MessageHeaders): void;
}

export interface SubscriptionSpec {
  /** May contain `*` and `>` wildcards. */
  readonly subject: string;
  /** Members of one group share the messages; without a group every subscriber gets each one. */
  readonly queueGroup: string | undefined;
  /** Stable identity of the listener ("Class.method"), used by durable transports for names. */
  readonly listenerId: string;
}

export interface Subscription {
  /** Stops taking new messages; resolves once messages already received were handed over. */
  drain(): Promise<void>;
  /**
   * Settles when the subscription has ended: with undefined after drain/close, with
   * an Error when the server ended it (e.g. a permission violation).
   */
  readonly closed: Promise<Error | undefined>;
}

export interface RequestOptions {
  readonly timeoutMs: number;
  readonly headers?: MessageHeaders;
}

export interface Transport {
  readonly name: string;
  readonly features: TransportFeatures;
  readonly status: BusStatus;
  /** Calls `listener` on every status change; returns the unsubscribe function. */
  onStatus(listener: (status: BusStatus) => void): () => void;
  connect(): Promise<void>;
  /** Resolves once the transport has accepted the message (for core NATS: queued for the socket). */
  publish(subject: string, data: Uint8Array, headers?: MessageHeaders): Promise<void>;
  /** Rejects with EB_ERR_REQUEST_TIMEOUT or EB_ERR_NO_RESPONDERS. */
  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<InboundMessage>;
  subscribe(spec: SubscriptionSpec, deliver: (delivery: Delivery) => void): Promise<Subscription>;
  /** Drains subscriptions, flushes what was published, then closes. */
  drain(): Promise<void>;
  close(): Promise<void>;
}
