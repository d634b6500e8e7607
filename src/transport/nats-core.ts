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
import { ACCEPTED } from "./transport.js";
import { pubAckReplyError } from "./pub-ack-reply.js";
import { PublishBatch } from "./publish-batch.js";
import { hasWildcard } from "../subject.js";
import type { Logger } from "../logger.js";

/** Core NATS: at-most-once, native queue groups and request-reply, nothing kept while no one listens. */
export class NatsCoreTransport implements Transport {
  readonly name = "nats";
  readonly features: TransportFeatures = { durable: false, redelivery: false, queueGroups: true, requestReply: true };
  readonly #tracker = new StatusTracker();
  #connection: NatsConnection | undefined;
  readonly #batch: PublishBatch;

  constructor(
    private readonly options: EventBusOptions,
    logger?: Logger,
  ) {
    this.#batch = new PublishBatch(
      (subject, data, headers) => this.#connection!.publish(subject, data, headers ? { headers: headers as MsgHdrs } : undefined),
      (count, error) =>
        logger?.error({ count, code: ErrorCodes.NOT_CONNECTED, reason: describeError(error) }, "core publishes not sent: the connection closed before they reached the socket"),
    );
  }

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

  /**
   * Checks everything that can refuse the message now (connection, headers, max_payload), so
   * the promise rejects for it, then hands it to nats.js with the other publishes of this turn
   * (see publish-batch.ts). Not async: a core publish is the hot path, and one shared settled
   * promise costs nothing per message.
   */
  publish(subject: string, data: Uint8Array, options?: SendOptions): Promise<PublishReceipt> {
    try {
      if (this.#tracker.status === "reconnecting") {
        // nats.js discards what was queued while disconnected when it reconnects: refuse rather than lose it silently.
        throw new EventBusError(ErrorCodes.NOT_CONNECTED, `cannot publish to "${subject}": the connection to NATS was lost and is being re-established; the message was not sent`);
      }
      const connection = this.connection;
      if (connection.isDraining()) throw mapOperationError(new natsErrors.DrainingConnectionError(), `cannot publish to "${subject}"`);
      const headers = options?.headers;
      const max = connection.info?.max_payload;
      if (max !== undefined && overMaxPayload(data, headers, max)) throw tooLargeError(`cannot publish to "${subject}"`, data, headers, max);
      this.#batch.add(subject, data, headers ? toNatsHeaders(headers) : undefined);
      return ACCEPTED;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Sends a small message to a subject the server gave us (an acknowledgement to a reply subject)
   * with the next batch, without publish()'s checks. Throws EB_ERR_NOT_CONNECTED when the connection is closed.
   */
  sendSoon(subject: string, data: Uint8Array): void {
    this.connection;
    this.#batch.add(subject, data, undefined);
  }

  async request(subject: string, data: Uint8Array, options: RequestOptions): Promise<InboundMessage> {
    const connection = this.connection;
    this.#batch.handOver();
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
    this.#batch.handOver();
    try {
      const answers = await this.connection.requestMany(subject, data, { strategy: "stall", stall: options.stallMs, maxWait: options.maxWaitMs });
      for await (const reply of answers) replies.push({ subject: reply.subject, data: reply.data, headers: fromNatsHeaders(reply.headers) });
    } catch (err) {
      // No responders: nobody listens, so nobody answered.
      if (!isNoResponders(err)) throw mapOperationError(err, `request to "${subject}" failed`);
    }
    return replies;
  }

  async subscribe(spec: SubscriptionSpec, deliver: Deliver): Promise<Subscription> {
    const connection = this.connection;
    // What was published before this call goes out before the subscription exists on the server.
    this.#batch.handOver();
    // A subscription to a plain subject receives only that subject: no need to decode it from each message.
    const subject = hasWildcard(spec.subject) ? undefined : spec.subject;
    try {
      const subscription = connection.subscribe(spec.subject, {
        queue: spec.queueGroup,
        callback: (err, msg) => {
          // An error here ends the subscription (permission violation); `closed` reports it.
          if (!err) void deliver(new NatsDelivery(msg, this.#batch, subject));
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
    this.#batch.handOver();
    if (!connection.isDraining()) await connection.drain();
    await connection.closed();
  }

  async close(): Promise<void> {
    const connection = this.#connection;
    if (!connection || connection.isClosed()) return this.#tracker.set("closed");
    // Close flushes what nats.js holds: give it ours first.
    this.#batch.handOver();
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

/** nats.js 3's MsgImpl keeps the MSG line's arguments; `reply` is undefined when the message has none. */
interface ParsedMsg {
  readonly _msg: { readonly reply?: Uint8Array };
}

/** Wraps a nats.js message; headers are converted only when someone reads them. */
class NatsDelivery implements Delivery {
  readonly deliveryCount = 1;
  #headers: MessageHeaders | undefined;

  constructor(
    private readonly msg: Msg,
    /** The connection's pending publishes: an answer goes after what the handler published before it. */
    private readonly batch: PublishBatch,
    /** The subscription's subject when it has no wildcard (then every message has it). */
    private readonly fixedSubject: string | undefined,
  ) {}

  get subject(): string {
    return this.fixedSubject ?? this.msg.subject;
  }
  get data(): Uint8Array {
    return this.msg.data;
  }
  get reply(): string | undefined {
    // nats.js decodes an absent reply subject again on every read, and the runner reads it once per
    // message (about 70 ns of the dispatch in bench/dispatch.ts): its parsed protocol arguments tell
    // "none" without decoding. Where they are not there (another nats.js), the public getter answers.
    const args = (this.msg as Partial<ParsedMsg>)._msg;
    if (args !== undefined && args.reply === undefined) return undefined;
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
      this.batch.handOver();
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
  return tooLargeError(what, data, headers, connection?.info?.max_payload, err);
}

/** Bytes of the NATS/1.0 header block nats.js writes: "NATS/1.0\r\n", "Key: value\r\n" per header, "\r\n". */
function headerBytes(headers: MessageHeaders): number {
  let bytes = 12;
  for (const key in headers) bytes += Buffer.byteLength(`${key}: ${headers[key]}\r\n`);
  return bytes;
}

/** Would nats.js refuse this message for the server's max_payload? Exact only near the limit (UTF-16 length × 3 bounds UTF-8). */
function overMaxPayload(data: Uint8Array, headers: MessageHeaders | undefined, max: number): boolean {
  if (!headers) return data.length > max;
  let bound = 12;
  for (const key in headers) bound += (key.length + headers[key]!.length + 4) * 3;
  return data.length + bound > max && data.length + headerBytes(headers) > max;
}

function tooLargeError(what: string, data: Uint8Array, headers: MessageHeaders | undefined, max: number | undefined, cause?: unknown): EventBusError {
  const headerSize = headers ? headerBytes(headers) : 0;
  const size = headerSize ? `${data.length + headerSize} bytes (payload ${data.length} + headers ${headerSize})` : `${data.length} bytes`;
  return new EventBusError(
    ErrorCodes.PAYLOAD_TOO_LARGE,
    `${what}: the message is ${size}, over the server's max_payload${max === undefined ? "" : ` of ${max} bytes`}; nothing was sent. ` +
      `Send a reference (an id, an object-store key) instead of the data, or raise max_payload on the server`,
    { cause },
  );
}

export function mapOperationError(err: unknown, what: string): EventBusError {
  if (err instanceof natsErrors.ClosedConnectionError || err instanceof natsErrors.DrainingConnectionError) {
    return new EventBusError(ErrorCodes.NOT_CONNECTED, `${what}: the connection is ${err instanceof natsErrors.DrainingConnectionError ? "draining" : "closed"}`, { cause: err });
  }
  return new EventBusError(ErrorCodes.PUBLISH, `${what}: ${describeError(err)}`, { cause: err });
}
