import { redactCredentials, type EventBusOptions } from "../../bus/options.js";
import { ErrorCodes, EventBusError, describeError } from "../../errors.js";
import { NatsCoreTransport } from "../nats-core.js";
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
import { encodeFrame } from "./header-frame.js";
import { loadStan, type StanConnectOptions, type StanConnection, type StanModule } from "./stan-client.js";
import { stanClientId, stanConnectOptions, stanSubscriptionSettings } from "./stan-options.js";
import { StanQueueSubscription } from "./stan-subscription.js";

/** How many STAN connections this process opened: the n-th gets client id suffix "-n". */
let connectionsOpened = 0;

/**
 * Legacy NATS Streaming (STAN; end of life since 2023), through node-nats-streaming,
 * which is loaded only when this transport connects. Publish resolves on the streaming
 * server's ack; each durable listener is a durable queue subscription (named after its
 * group) with manual acks after the handler, delivering everything stored to a new group.
 * A failed handler's message is not acked: the server redelivers it after ackWait, up to
 * retry.maxDeliver deliveries, then the runner dead-letters it (a STAN channel) and acks.
 *
 * Request-reply and `durable: false` listeners go over a second, core NATS connection
 * (nats.js v3) to `servers`: the nats 1.x client inside node-nats-streaming has neither
 * headers (error replies carry them) nor no-responders detection.
 */
export class StanTransport implements Transport {
  readonly name = "stan";
  readonly features: TransportFeatures = { durable: true, redelivery: true, queueGroups: true, requestReply: true };
  readonly #tracker = new StatusTracker();
  readonly #core: NatsCoreTransport;
  readonly #subscriptions = new Set<StanQueueSubscription>();
  readonly #publishes = new Set<Promise<unknown>>();
  #connection: StanConnection | undefined;
  #clientId: string | undefined;
  #closing: Promise<void> | undefined;
  #stanUp = false;
  #coreUp = false;
  #stanClosed = false;
  #unwatchCore: (() => void) | undefined;

  constructor(private readonly options: EventBusOptions) {
    this.#core = new NatsCoreTransport(options);
  }

  get status(): BusStatus {
    return this.#tracker.status;
  }

  /** The client id of the current (or last) connection to the streaming server. */
  get clientId(): string | undefined {
    return this.#clientId;
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    return this.#tracker.onChange(listener);
  }

  /** Rejects with EB_ERR_OPTIONAL_DEPENDENCY (node-nats-streaming missing), EB_ERR_CONFIG or EB_ERR_CONNECT. */
  async connect(): Promise<void> {
    const stan = await loadStan();
    const connectOptions = stanConnectOptions(this.options);
    const { clusterId } = this.options.stan;
    const clientId = stanClientId(this.options, ++connectionsOpened);
    this.#closing = undefined;
    this.#clientId = clientId;
    this.#tracker.set("connecting");
    try {
      await this.#core.connect();
    } catch (err) {
      this.#tracker.set("closed");
      throw err;
    }
    this.#coreUp = true;
    this.#unwatchCore?.();
    this.#unwatchCore = this.#core.onStatus((status) => this.#onCoreStatus(status));
    let connection: StanConnection;
    try {
      connection = await openStan(stan, clusterId, clientId, connectOptions, this.options.connectTimeoutMs * 2);
    } catch (err) {
      await this.#core.close();
      this.#tracker.set("closed");
      const where = (connectOptions.servers ?? []).join(", ");
      const why = redactCredentials(explainConnectError(err, clusterId, clientId));
      throw new EventBusError(ErrorCodes.CONNECT, `cannot connect to NATS Streaming (cluster id "${clusterId}", client id "${clientId}") at ${where}: ${why}`, { cause: err });
    }
    this.#connection = connection;
    this.#stanUp = true;
    this.#stanClosed = false;
    this.#watch(connection);
    this.#tracker.set("connected");
  }

  async publish(subject: string, data: Uint8Array, options: SendOptions = {}): Promise<PublishReceipt> {
    const connection = this.#require(`publish to "${subject}"`);
    const sent = new Promise<PublishReceipt>((resolve, reject) => {
      try {
        // STAN has no dedupe: options.msgId is not sent (JetStream's Nats-Msg-Id has no counterpart).
        connection.publish(subject, this.#keepsHeaders(subject) ? encodeFrame(options.headers, data) : data, (err) => (err ? reject(publishError(err, subject, this.options.publishTimeoutMs)) : resolve({ duplicate: false })));
      } catch (err) {
        reject(publishError(err, subject, this.options.publishTimeoutMs));
      }
    });
    this.#publishes.add(sent);
    void sent.then(
      () => this.#publishes.delete(sent),
      () => this.#publishes.delete(sent),
    );
    return sent;
  }

  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<InboundMessage> {
    return this.#core.request(subject, data, options);
  }

  requestMany(subject: string, data: Uint8Array, options: { maxWaitMs: number; stallMs: number }): Promise<InboundMessage[]> {
    return this.#core.requestMany(subject, data, options);
  }

  async subscribe(spec: SubscriptionSpec, deliver: Deliver): Promise<Subscription> {
    if (!spec.durable) return this.#core.subscribe(spec, deliver);
    const connection = this.#require(`subscribe ${spec.listenerId}`);
    const settings = stanSubscriptionSettings(spec, this.options);
    const subscription = await StanQueueSubscription.open(connection, settings, spec.listenerId, this.options.connectTimeoutMs, () => this.#tracker.status === "connected", deliver);
    this.#subscriptions.add(subscription);
    void subscription.closed.then(() => this.#subscriptions.delete(subscription));
    return subscription;
  }

  /** Waits for publishes in flight, drains subscriptions (keeping their durables), then closes both connections. */
  async drain(): Promise<void> {
    if (!this.#connection || this.#closing) return this.close();
    await Promise.allSettled([...this.#publishes]);
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.drain()));
    await this.#core.drain().catch(() => undefined);
    await this.close();
  }

  /**
   * Closes at once, but tells the streaming server first (a close request), so it drops
   * this client id instead of keeping a ghost until heartbeats fail. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    for (const subscription of this.#subscriptions) subscription.end(undefined);
    // While a server is unreachable the close request may not be answered: give it a moment, not the full timeout.
    const answerable = this.#tracker.status === "connected";
    if (connection && !this.#stanClosed) await closeStan(connection, answerable ? this.options.connectTimeoutMs + 1_000 : 500);
    this.#stanClosed = true;
    await this.#core.close();
    this.#tracker.set("closed");
  }

  /** Dead letters always keep their headers (why it failed); other messages per stan.headers. */
  #keepsHeaders(subject: string): boolean {
    const prefix = this.options.deadLetterPrefix;
    return this.options.stan.headers === "frame" || subject === prefix || subject.startsWith(`${prefix}.`);
  }

  #watch(connection: StanConnection): void {
    connection.on("disconnect", () => this.#setStan(false));
    connection.on("reconnecting", () => this.#setStan(false));
    connection.on("reconnect", () => this.#setStan(true));
    // Errors of a live connection are followed by "close" when they are fatal; keep them from being thrown.
    connection.on("error", () => undefined);
    connection.on("connection_lost", (err: Error | string) => this.#lost(`the streaming server stopped answering pings: ${describeError(err)}`));
    connection.on("close", () => {
      this.#stanClosed = true;
      this.#lost("the connection to the streaming server closed");
    });
  }

  #onCoreStatus(status: BusStatus): void {
    if (status === "closed") return this.#lost("the core NATS connection (request-reply) closed");
    if (status === "reconnecting" || status === "connected") {
      this.#coreUp = status === "connected";
      this.#recompute();
    }
  }

  #setStan(up: boolean): void {
    this.#stanUp = up;
    this.#recompute();
  }

  #recompute(): void {
    if (this.#closing || !this.#connection) return;
    this.#tracker.set(this.#stanUp && this.#coreUp ? "connected" : "reconnecting");
  }

  /** One half is gone for good: end the subscriptions with the reason and close the rest. */
  #lost(reason: string): void {
    if (this.#closing || !this.#connection) return;
    const error = new EventBusError(ErrorCodes.SUBSCRIBE, `stan transport: ${reason}`);
    for (const subscription of this.#subscriptions) subscription.end(error);
    void this.close();
  }

  #require(action: string): StanConnection {
    if (!this.#connection || this.#closing || this.#tracker.status === "closed") {
      throw new EventBusError(ErrorCodes.NOT_CONNECTED, `cannot ${action}: the stan transport is not connected; call bus.connect() first`);
    }
    return this.#connection;
  }
}

/** Resolves once the streaming server accepted the client (its connect response). */
function openStan(stan: StanModule, clusterId: string, clientId: string, options: StanConnectOptions, timeoutMs: number): Promise<StanConnection> {
  return new Promise((resolve, reject) => {
    let connection: StanConnection;
    try {
      connection = stan.connect(clusterId, clientId, options);
    } catch (err) {
      reject(err);
      return;
    }
    const cleanup = () => {
      clearTimeout(timer);
      connection.removeListener("connect", onConnect);
      connection.removeListener("error", onError);
      connection.removeListener("close", onClose);
    };
    const fail = (err: Error) => {
      cleanup();
      connection.on("error", () => undefined); // late errors of an abandoned connection must not be thrown
      connection.close();
      reject(err);
    };
    const onConnect = () => {
      cleanup();
      resolve(connection);
    };
    const onError = (err: Error | string) => fail(err instanceof Error ? err : new Error(String(err)));
    const onClose = () => fail(new Error("the connection closed before the streaming server answered"));
    const timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    connection.on("connect", onConnect);
    connection.on("error", onError);
    connection.on("close", onClose);
  });
}

/** Sends the close request and waits for its answer (or the timeout). */
function closeStan(connection: StanConnection, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    connection.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    connection.close();
  });
}

function explainConnectError(err: unknown, clusterId: string, clientId: string): string {
  const message = describeError(err);
  if (/connect request timeout/i.test(message)) {
    return `${message}: no streaming server with cluster id "${clusterId}" answered (is nats-streaming-server running there, started with -cid ${clusterId}?)`;
  }
  if (/clientID already registered/i.test(message)) {
    return `${message}: another live connection uses client id "${clientId}"; give each process its own (option stan.clientId / NATS_CLIENT_ID, or stan.clientIdPrefix)`;
  }
  return message;
}

function publishError(err: unknown, subject: string, timeoutMs: number): EventBusError {
  const message = describeError(err);
  if (/connection closed/i.test(message)) {
    return new EventBusError(ErrorCodes.NOT_CONNECTED, `cannot publish to "${subject}": the connection to the streaming server is closed`, { cause: err });
  }
  if (/ack timeout/i.test(message)) {
    return new EventBusError(ErrorCodes.PUBLISH_ACK, `publish to "${subject}": no ack from the streaming server within ${timeoutMs} ms; the message may or may not be stored`, { cause: err });
  }
  return new EventBusError(ErrorCodes.PUBLISH_ACK, `publish to "${subject}" was not stored by the streaming server: ${message}`, { cause: err });
}
