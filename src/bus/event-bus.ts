import "reflect-metadata";
import { container as rootContainer, singleton, type DependencyContainer } from "tsyringe";
import type { Codec } from "../codec/codec.js";
import { JsonCodec } from "../codec/json-codec.js";
import { ErrorCodes, EventBusError, describeError, isEventBusError } from "../errors.js";
import { createConsoleLogger, type Logger } from "../logger.js";
import { listenerRegistry, type ListenerClass, type ListenerSpec } from "../listeners/registry.js";
import { ListenerRunner, subscriptionSpecOf } from "../listeners/runner.js";
import { assertPublishSubject } from "../subject.js";
import { createTransport } from "../transport/create-transport.js";
import { StatusTracker } from "../transport/status-tracker.js";
import type { BusStatus, MessageHeaders, ProvisionChange, PublishReceipt, Transport } from "../transport/transport.js";
import { remoteErrorOf } from "./error-reply.js";
import { loadOptions } from "./load-options.js";
import { redactCredentials, type EventBusOptions, type EventBusOptionsInput } from "./options.js";

export interface ConnectOptions extends EventBusOptionsInput {
  /** A pino (or compatible) logger; default: one readable line per event on stdout/stderr. */
  logger?: Logger;
  /** Replaces the JSON codec. */
  codec?: Codec;
  /** Read this config file instead of searching for one. */
  configFile?: string;
  /** Where the config file search starts (default: process.cwd()). */
  cwd?: string;
  /** Environment to read NATS_* variables from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where listener classes are resolved (default: tsyringe's root container). */
  container?: DependencyContainer;
  /** Use this transport instance instead of the one `transport` names. */
  transportInstance?: Transport;
}

export interface PublishOptions {
  headers?: MessageHeaders;
  /** JetStream: deduplication id (Nats-Msg-Id); a repeat within the stream's window is not stored again. */
  msgId?: string;
}

export interface PublishAllItem {
  subject: string;
  data?: unknown;
  options?: PublishOptions;
}

export interface RequestOptions {
  /** Default: the `requestTimeoutMs` option (5000). */
  timeout?: number;
  headers?: MessageHeaders;
}

interface Connected {
  readonly transport: Transport;
  readonly options: EventBusOptions;
  readonly codec: Codec;
  readonly logger: Logger;
  readonly container: DependencyContainer;
  readonly configFile: string | undefined;
}

/**
 * The one connection of this process to the event system. Registered as a
 * tsyringe singleton: `container.resolve(EventBus)` always returns the same bus.
 * Lifecycle: connect() → publish/request/listen → drain() (graceful) or close().
 */
@singleton()
export class EventBus {
  readonly #tracker = new StatusTracker();
  #connected: Connected | undefined;
  #connecting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #draining: Promise<void> | undefined;
  #runners: ListenerRunner[] = [];

  get status(): BusStatus {
    return this.#tracker.status;
  }

  /** Calls `listener` with every status change (connecting, connected, reconnecting, closed). Returns the unsubscribe function. */
  onStatusChange(listener: (status: BusStatus) => void): () => void {
    return this.#tracker.onChange(listener);
  }

  /** The resolved options (defaults < config file < code < environment). Throws before connect(). */
  get options(): Readonly<EventBusOptions> {
    return this.#require("read options").options;
  }

  get configFile(): string | undefined {
    return this.#connected?.configFile;
  }

  get transportName(): string | undefined {
    return this.#connected?.transport.name;
  }

  /** The connected transport, for tools built on a transport's own API (the CLI's dead-letter commands). */
  get transport(): Transport {
    return this.#require("use the transport").transport;
  }

  get logger(): Logger {
    return this.#connected?.logger ?? createConsoleLogger();
  }

  /** Connects once; calling it again while connected returns at once. Rejects with EB_ERR_CONNECT or EB_ERR_CONFIG. */
  connect(input: ConnectOptions = {}): Promise<void> {
    if (this.#connected && this.status !== "closed") return Promise.resolve();
    this.#connecting ??= this.#connect(input).finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  /**
   * Resolves once the transport accepted the message (JetStream: stored, with the
   * receipt saying whether it was a duplicate). Encoding errors throw before anything is sent.
   */
  async publish(subject: string, data?: unknown, options: PublishOptions = {}): Promise<PublishReceipt> {
    assertPublishSubject(subject);
    const { transport, codec } = this.#require(`publish to "${subject}"`);
    return transport.publish(subject, codec.encode(data, subject), options);
  }

  /**
   * Publishes many messages with at most `maxInFlight` unconfirmed at once, so bulk
   * sends are neither one-round-trip-per-message slow nor unbounded in memory.
   * Resolves with the receipts in input order; on the first failure it waits for the
   * publishes in flight, then rejects naming the index of the message that failed.
   */
  async publishAll(items: Iterable<PublishAllItem>, { maxInFlight = 256 }: { maxInFlight?: number } = {}): Promise<PublishReceipt[]> {
    const receipts: PublishReceipt[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    let index = 0;
    for (const item of items) {
      if (failure) break;
      const position = index++;
      const sent: Promise<void> = this.publish(item.subject, item.data, item.options).then(
        (receipt) => void (receipts[position] = receipt),
        (err: unknown) =>
          void (failure ??= new EventBusError(isEventBusError(err) ? err.code : ErrorCodes.PUBLISH, `publishAll: message #${position} to "${item.subject}" failed: ${describeError(err)}`, { cause: err })),
      );
      inFlight.add(sent);
      void sent.then(() => inFlight.delete(sent));
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
    return receipts;
  }

  /** Rejects with EB_ERR_REQUEST_TIMEOUT, EB_ERR_NO_RESPONDERS, or a RemoteError (EB_ERR_REMOTE) when the responder threw. */
  async request<TReply = unknown>(subject: string, data?: unknown, options: RequestOptions = {}): Promise<TReply> {
    assertPublishSubject(subject);
    const connected = this.#require(`request "${subject}"`);
    const timeoutMs = options.timeout ?? connected.options.requestTimeoutMs;
    const reply = await connected.transport.request(subject, connected.codec.encode(data, subject), { timeoutMs, headers: options.headers });
    const remoteError = remoteErrorOf(subject, reply);
    if (remoteError) throw remoteError;
    return connected.codec.decode(reply.data, reply.subject) as TReply;
  }

  /**
   * Subscribes the recorded @Listen handlers (all of them, or those of `classes`).
   * register-listeners calls this; call it yourself for the embedded single-process mode and in tests.
   */
  async listen(classes?: readonly ListenerClass[]): Promise<readonly ListenerSpec[]> {
    const { transport, codec, logger, container, options } = this.#require("listen");
    await this.provision(classes);
    const runner = new ListenerRunner({ transport, codec, logger, container, deadLetterPrefix: options.deadLetterPrefix, retry: options.retry });
    this.#runners.push(runner);
    await runner.start(listenerRegistry.all(classes));
    return runner.listeners;
  }

  /**
   * Creates or updates what the listeners need on a durable transport (streams and
   * durable consumers; idempotent), or with `dryRun` only reports it. listen() runs it
   * first; `nats-events provision` runs it alone. Core transports need nothing: [].
   */
  async provision(classes?: readonly ListenerClass[], { dryRun = false }: { dryRun?: boolean } = {}): Promise<ProvisionChange[]> {
    const { transport, logger } = this.#require("provision");
    if (!transport.provision) return [];
    const changes = await transport.provision(listenerRegistry.all(classes).map(subscriptionSpecOf), { dryRun });
    for (const change of changes) {
      if (change.action === "unchanged") continue;
      logger.info({ kind: change.kind, name: change.name, detail: change.detail }, `${dryRun ? "would " : ""}${change.action} ${change.kind}`);
    }
    return changes;
  }

  /**
   * Graceful stop: no new messages are taken, handlers in flight finish (up to
   * `drainTimeoutMs`), what was published is flushed, then the connection closes.
   * Rejects with EB_ERR_DRAIN_TIMEOUT if handlers outlived the timeout (the bus is closed anyway).
   */
  drain(): Promise<void> {
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
    return this.#draining;
  }

  async #drain(): Promise<void> {
    const connected = this.#connected;
    if (!connected || this.status === "closed") return;
    const runners = this.#runners;
    this.#runners = [];
    let failure: unknown;
    for (const runner of runners) await runner.stop(connected.options.drainTimeoutMs).catch((err) => (failure ??= err));
    await connected.transport.drain().catch((err) => (failure ??= err));
    await this.close();
    connected.logger.info({ transport: connected.transport.name }, "drained");
    if (failure) throw failure;
  }

  /** Closes at once (messages not yet handled are dropped by core transports). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #connect(input: ConnectOptions): Promise<void> {
    const { logger: givenLogger, codec, configFile, cwd, env, container, transportInstance, ...code } = input;
    const loaded = await loadOptions(code, { configFile, cwd, env });
    const logger = givenLogger ?? createConsoleLogger(loaded.options.logLevel);
    const transport = transportInstance ?? createTransport(loaded.options);
    transport.onStatus((status) => {
      this.#tracker.set(status);
      if (status === "reconnecting") logger.warn({ transport: transport.name }, "connection lost, reconnecting");
    });
    await transport.connect();
    this.#closing = undefined;
    this.#connected = { transport, options: loaded.options, codec: codec ?? new JsonCodec(), logger, container: container ?? rootContainer, configFile: loaded.configFile };
    const servers = transport.name === "memory" ? undefined : loaded.options.servers.map(redactCredentials).join(",");
    logger.info({ transport: transport.name, servers }, "connected");
  }

  async #close(): Promise<void> {
    const connected = this.#connected;
    this.#runners = [];
    if (!connected) return this.#tracker.set("closed");
    await connected.transport.close();
    this.#tracker.set("closed");
  }

  #require(action: string): Connected {
    if (!this.#connected || this.status === "closed") {
      throw new EventBusError(ErrorCodes.NOT_CONNECTED, `cannot ${action}: the event bus is ${this.#connected ? "closed" : "not connected"}; call bus.connect() first`);
    }
    return this.#connected;
  }
}
