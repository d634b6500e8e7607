import { readFileSync } from "node:fs";
import {
  connect,
  credsAuthenticator,
  errors as natsErrors,
  headers as createHeaders,
  nkeyAuthenticator,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type NodeConnectionOptions,
} from "@nats-io/transport-node";
import { ErrorCodes, EventBusError, describeError } from "../errors.js";
import { redactCredentials, type EventBusOptions } from "../bus/options.js";
import { splitServerCredentials } from "./server-credentials.js";
import { StatusTracker } from "./status-tracker.js";
import type {
  BusStatus,
  ConnectionInfo,
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
import { pubAckReplyError } from "./pub-ack-reply.js";

/** Core NATS: at-most-once, native queue groups and request-reply, nothing kept while no one listens. */
export class NatsCoreTransport implements Transport {
  readonly name = "nats";
  readonly features: TransportFeatures = { durable: false, redelivery: false, queueGroups: true, requestReply: true };
  readonly #tracker = new StatusTracker();
  #connection: NatsConnection | undefined;

  constructor(private readonly options: EventBusOptions) {}

  get status(): BusStatus {
    return this.#tracker.status;
  }

  /** The underlying nats.js connection, for capabilities built on top of core NATS (JetStream). */
  get connection(): NatsConnection {
    if (!this.#connection || this.#connection.isClosed()) {
      throw new EventBusError(ErrorCodes.NOT_CONNECTED, `the NATS connection to ${this.#servers()} is not open; call bus.connect() first`);
    }
    return this.#connection;
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    return this.#tracker.onChange(listener);
  }

  async connect(): Promise<void> {
    this.#tracker.set("connecting");
    let connection: NatsConnection;
    try {
      connection = await connect(toNatsOptions(this.options));
    } catch (err) {
      this.#tracker.set("closed");
      throw new EventBusError(ErrorCodes.CONNECT, `cannot connect to NATS at ${this.#servers()}: ${redactCredentials(describeError(err))}`, { cause: err });
    }
    this.#connection = connection;
    this.#tracker.set("connected");
    void this.#watchStatus(connection);
    void connection.closed().then(() => this.#tracker.set("closed"));
  }

  async publish(subject: string, data: Uint8Array, options?: SendOptions): Promise<PublishReceipt> {
    if (this.#tracker.status === "reconnecting") {
      // nats.js discards what was queued while disconnected when it reconnects: refuse rather than lose it silently.
      throw new EventBusError(ErrorCodes.NOT_CONNECTED, `cannot publish to "${subject}": the connection to NATS was lost and is being re-established; the message was not sent`);
    }
    const connection = this.connection;
    try {
      connection.publish(subject, data, options?.headers ? { headers: toNatsHeaders(options.headers) } : undefined);
      return NOT_STORED;
    } catch (err) {
      throw payloadTooLarge(err, `cannot publish to "${subject}"`, data, options?.headers, connection) ?? mapOperationError(err, `cannot publish to "${subject}"`);
    }
  }

  async request(subject: string, data: Uint8Array, options: RequestOptions): Promise<InboundMessage> {
    const connection = this.connection;
    let reply: Msg;
    try {
      reply = await connection.request(subject, data, {
        timeout: options.timeoutMs,
        headers: options.headers ? toNatsHeaders(options.headers) : undefined,
      });
    } catch (err) {
      const tooLarge = payloadTooLarge(err, `cannot send a request to "${subject}"`, data, options.headers, connection);
      if (tooLarge) throw tooLarge;
      if (isNoResponders(err)) {
        throw new EventBusError(ErrorCodes.NO_RESPONDERS, `no responders for request to "${subject}": nothing listens on it`, { cause: err });
      }
      if (isTimeout(err)) {
        throw new EventBusError(ErrorCodes.REQUEST_TIMEOUT, `request to "${subject}" got no reply within ${options.timeoutMs} ms`, { cause: err });
      }
      throw mapOperationError(err, `request to "${subject}" failed`);
    }
    const inbound = { subject: reply.subject, data: reply.data, headers: fromNatsHeaders(reply.headers) };
    // A stream on the subject (one this bus may not know of) answers with its PubAck: never a reply.
    const pubAck = pubAckReplyError(subject, inbound);
    if (pubAck) throw pubAck;
    return inbound;
  }

  async requestMany(subject: string, data: Uint8Array, options: { maxWaitMs: number; stallMs: number }): Promise<InboundMessage[]> {
    const replies: InboundMessage[] = [];
    try {
      const answers = await this.connection.requestMany(subject, data, { strategy: "stall", stall: options.stallMs, maxWait: options.maxWaitMs });
      for await (const reply of answers) replies.push({ subject: reply.subject, data: reply.data, headers: fromNatsHeaders(reply.headers) });
    } catch (err) {
      // No responders: nobody listens, so nobody answered.
      if (!isNoResponders(err)) throw mapOperationError(err, `request to "${subject}" failed`);
    }
    return replies;
  }

  async subscribe(spec: SubscriptionSpec, deliver: (delivery: Delivery) => Promise<void>): Promise<Subscription> {
    const connection = this.connection;
    try {
      const subscription = connection.subscribe(spec.subject, {
        queue: spec.queueGroup,
        callback: (err, msg) => {
          // An error here ends the subscription (permission violation); `closed` reports it.
          if (!err) void deliver(new NatsDelivery(msg));
        },
      });
      // A round trip makes the server's permission check (and the interest) visible before we say "subscribed".
      await connection.flush();
      return {
        drain: async () => {
          if (subscription.isClosed()) return;
          // Without a server a drain cannot complete; stop taking messages right away instead.
          if (this.#tracker.status !== "connected") return subscription.unsubscribe();
          await subscription.drain();
        },
        closed: subscription.closed.then((result) => result || undefined),
      };
    } catch (err) {
      throw new EventBusError(ErrorCodes.SUBSCRIBE, `cannot subscribe to "${spec.subject}" for ${spec.listenerId}: ${describeError(err)}`, { cause: err });
    }
  }

  serverVersion(): string | undefined {
    return this.#connection?.info?.version;
  }

  async connectionInfo(): Promise<ConnectionInfo> {
    const connection = this.connection;
    const rttMs = this.#tracker.status === "connected" ? await connection.rtt().catch(() => undefined) : undefined;
    return { server: redactCredentials(connection.getServer()), serverName: connection.info?.server_name, version: connection.info?.version, rttMs };
  }

  /** Flushes and closes. When the server is gone (reconnecting) there is nothing to flush to: close at once. */
  async drain(): Promise<void> {
    const connection = this.#connection;
    if (!connection || connection.isClosed()) return;
    if (this.#tracker.status !== "connected") return this.close();
    if (!connection.isDraining()) await connection.drain();
    await connection.closed();
  }

  async close(): Promise<void> {
    const connection = this.#connection;
    if (!connection || connection.isClosed()) return this.#tracker.set("closed");
    await connection.close();
    this.#tracker.set("closed");
  }

  async #watchStatus(connection: NatsConnection): Promise<void> {
    for await (const event of connection.status()) {
      if (event.type === "disconnect" || event.type === "reconnecting") this.#tracker.set("reconnecting");
      else if (event.type === "reconnect") this.#tracker.set("connected");
    }
  }

  #servers(): string {
    return this.options.servers.map(redactCredentials).join(", ");
  }
}

/** Wraps a nats.js message; headers are converted only when someone reads them. */
class NatsDelivery implements Delivery {
  readonly deliveryCount = 1;
  #headers: MessageHeaders | undefined;

  constructor(private readonly msg: Msg) {}

  get subject(): string {
    return this.msg.subject;
  }
  get data(): Uint8Array {
    return this.msg.data;
  }
  get reply(): string | undefined {
    return this.msg.reply || undefined;
  }
  get headers(): MessageHeaders {
    return (this.#headers ??= fromNatsHeaders(this.msg.headers));
  }
  header(name: string): string | undefined {
    return headerOf(this.msg.headers, name);
  }

  respond(data: Uint8Array, headers?: MessageHeaders): void {
    if (!this.msg.reply) throw new EventBusError(ErrorCodes.INVALID_LISTENER, `cannot answer the message on "${this.msg.subject}": it has no reply subject`);
    try {
      this.msg.respond(data, headers ? { headers: toNatsHeaders(headers) } : undefined);
    } catch (err) {
      const what = `cannot answer the request on "${this.msg.subject}"`;
      throw payloadTooLarge(err, what, data, headers, undefined) ?? mapOperationError(err, what);
    }
  }
}

function toNatsOptions(options: EventBusOptions): NodeConnectionOptions {
  const { auth, tls, reconnect } = options;
  // Explicit auth options win over credentials written into the server URLs.
  const fromUrls = splitServerCredentials(options.servers);
  const explicitAuth = Boolean(auth.user || auth.token || auth.nkeySeed || auth.credsFile);
  const { user, pass, token } = explicitAuth ? auth : fromUrls;
  const natsOptions: NodeConnectionOptions = {
    servers: fromUrls.servers,
    name: options.name,
    timeout: options.connectTimeoutMs,
    // nats.js captures a stack per request for its own errors; ours are created at the caller's
    // await, so the capture only costs CPU (about 40% of a requester's time in bench/).
    noAsyncTraces: true,
    maxReconnectAttempts: reconnect.maxAttempts,
    reconnectTimeWait: reconnect.waitMs,
    reconnectJitter: reconnect.jitterMs,
    reconnectJitterTLS: reconnect.jitterTlsMs,
    user,
    pass,
    token,
  };
  if (auth.nkeySeed) natsOptions.authenticator = nkeyAuthenticator(new TextEncoder().encode(auth.nkeySeed));
  if (auth.credsFile) natsOptions.authenticator = credsAuthenticator(readOptionFile(auth.credsFile, "auth.credsFile"));
  if (tls) natsOptions.tls = { caFile: tls.ca, certFile: tls.cert, keyFile: tls.key };
  return natsOptions;
}

function readOptionFile(file: string, option: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new EventBusError(ErrorCodes.CONFIG, `cannot read the file of option "${option}" (${file}): ${describeError(err)}`, { cause: err });
  }
}

export function toNatsHeaders(headers: MessageHeaders): MsgHdrs {
  const natsHeaders = createHeaders();
  for (const [key, value] of Object.entries(headers)) natsHeaders.set(key, value);
  return natsHeaders;
}

/** One header of a nats.js message, matched case-insensitively (undefined when absent). */
export function headerOf(headers: MsgHdrs | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  return headers.get(name, "insensitive") || undefined;
}

export function fromNatsHeaders(headers: MsgHdrs | undefined): MessageHeaders {
  if (!headers) return {};
  const record: Record<string, string> = {};
  for (const key of headers.keys()) record[key] = headers.get(key);
  return record;
}

function isNoResponders(err: unknown): boolean {
  return err instanceof natsErrors.NoRespondersError || (err instanceof natsErrors.RequestError && err.isNoResponders());
}

function isTimeout(err: unknown): boolean {
  return err instanceof natsErrors.TimeoutError || (err instanceof Error && err.cause instanceof natsErrors.TimeoutError);
}

/**
 * EB_ERR_PAYLOAD_TOO_LARGE with the sizes when `err` is nats.js refusing a message over
 * the server's max_payload (checked before anything is written); else undefined.
 */
export function payloadTooLarge(
  err: unknown,
  what: string,
  data: Uint8Array,
  headers: MessageHeaders | undefined,
  connection: Pick<NatsConnection, "info"> | undefined,
): EventBusError | undefined {
  if (!(err instanceof natsErrors.InvalidArgumentError) || !/max_payload/.test(err.message)) return undefined;
  // NATS/1.0 header block: "NATS/1.0\r\n" + "Key: value\r\n" per header + "\r\n".
  const headerBytes = headers ? Object.entries(headers).reduce((sum, [key, value]) => sum + Buffer.byteLength(`${key}: ${value}\r\n`), 12) : 0;
  const max = connection?.info?.max_payload;
  const size = headerBytes ? `${data.length + headerBytes} bytes (payload ${data.length} + headers ${headerBytes})` : `${data.length} bytes`;
  return new EventBusError(
    ErrorCodes.PAYLOAD_TOO_LARGE,
    `${what}: the message is ${size}, over the server's max_payload${max === undefined ? "" : ` of ${max} bytes`}; nothing was sent. ` +
      `Send a reference (an id, an object-store key) instead of the data, or raise max_payload on the server`,
    { cause: err },
  );
}

export function mapOperationError(err: unknown, what: string): EventBusError {
  if (err instanceof natsErrors.ClosedConnectionError || err instanceof natsErrors.DrainingConnectionError) {
    return new EventBusError(ErrorCodes.NOT_CONNECTED, `${what}: the connection is ${err instanceof natsErrors.DrainingConnectionError ? "draining" : "closed"}`, { cause: err });
  }
  return new EventBusError(ErrorCodes.PUBLISH, `${what}: ${describeError(err)}`, { cause: err });
}
