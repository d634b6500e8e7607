import "reflect-metadata";
import { container as rootContainer, singleton, type DependencyContainer } from "tsyringe";
import type { Codec } from "../codec/codec.js";
import { JsonCodec } from "../codec/json-codec.js";
import type { AnyContract } from "../contracts/contract.js";
import type { CheckedSubject, DataArgs, InferReply, ReplyOutput, SubjectArg } from "../contracts/event-map.js";
import { Wire } from "../contracts/wire.js";
import { ErrorCodes, EventBusError, describeError, isEventBusError } from "../errors.js";
import type { Registry } from "prom-client";
import { outgoingHeaders } from "../context/event-context.js";
import { createLogger, type Logger } from "../logger.js";
import { listenerRegistry, type ListenerClass, type ListenerSpec } from "../listeners/registry.js";
import { ListenerRunner, subscriptionSpecOf, type ListenerHealth } from "../listeners/runner.js";
import { startConsumerSampler, type ConsumerSampler } from "../observability/consumer-sampler.js";
import { createBusObservers } from "../observability/bus-observers.js";
import type { MetricsObserver } from "../observability/metrics-observer.js";
import type { BusObserver } from "../observability/observer.js";
import type { ObserverSet } from "../observability/observer-set.js";
import type { SubjectLabeler } from "../observability/subject-label.js";
import { assertPublishSubject } from "../subject.js";
import { createTransport } from "../transport/create-transport.js";
import { StatusTracker } from "../transport/status-tracker.js";
import type { BusStatus, MessageHeaders, ProvisionChange, ProvisionProgress, PublishReceipt, SubscriptionSpec, Transport } from "../transport/transport.js";
import { ACCEPTED, NOT_STORED } from "../transport/transport.js";
import { remoteErrorOf } from "./error-reply.js";
import { loadOptions } from "./load-options.js";
import { checkPublishTiming } from "./publish-timing.js";
import { redactCredentials, withoutCredentials, type EventBusOptions, type EventBusOptionsInput } from "./options.js";

export interface ConnectOptions extends EventBusOptionsInput {
  /** A pino (or compatible) logger; default: pino, one JSON line per event on stdout, at `logLevel`. */
  logger?: Logger;
  /**
   * Replaces the JSON codec for every subject whose contract names no codec of its own
   * (e.g. `new JsonCodec({ keys: "snake_case" })`, or MessagePackCodec from
   * "express-nats-events/msgpack"). A codec that does not write JSON adds a Content-Type header.
   */
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
  /** Where the Prometheus metrics are registered (default: prom-client's global `register`). */
  metricsRegistry?: Registry;
  /** Published subject → bounded `subject` label of metrics and span names (default: see the `metricsSubjects` option). */
  subjectLabel?: SubjectLabeler;
  /** More observers, after the built-in logs, metrics and traces (see BusObserver). */
  observers?: readonly BusObserver[];
}

/** What health checks report about one bus. */
export interface BusHealth {
  readonly status: BusStatus;
  readonly transport: string | null;
  /** Connected, not draining, and every subscription of this bus active and delivering (none stalled or waiting for its stream). */
  readonly ready: boolean;
  readonly draining: boolean;
  /** Times the connection was re-established since connect(). */
  readonly reconnects: number;
  readonly listeners: readonly ListenerHealth[];
}

/**
 * The options of one publish. `delayMs` and `at` exclude each other (in the types, and at run
 * time with EB_ERR_PUBLISH_OPTION for untyped callers).
 */
export type PublishOptions = PublishOptionsBase & (DelayFor | DelayUntil);

interface DelayFor {
  /**
   * Deliver to listeners no earlier than this many milliseconds from now; the message is stored
   * durably meanwhile. JetStream (nats-server 2.12, the stream's `allowSchedules`) and the testing
   * kit's store (on its TestClock). Not with `at`.
   */
  delayMs?: number;
  at?: never;
}

interface DelayUntil {
  /** Deliver to listeners no earlier than this time (a time already past: at once). Like `delayMs`; not with it. */
  at?: Date;
  delayMs?: never;
}

interface PublishOptionsBase {
  headers?: MessageHeaders;
  /** JetStream: deduplication id (Nats-Msg-Id); a repeat within the stream's window is not stored again. */
  msgId?: string;
  /**
   * The stream removes the message this long after storing it (a delayed message: after it is
   * due), whether or not a listener has handled it: one nobody acked by then is gone and never
   * delivered again. Whole seconds (1000, 2000...). JetStream (nats-server 2.11, the stream's
   * `allowMessageTtl`) and the testing kit's store.
   */
  ttlMs?: number;
}

/**
 * One message of publishAll(): `subject` is a subject string or a contract. The data is
 * checked at run time like publish() does (it is not type-checked here: build the items
 * with a typed helper, e.g. `orders.map((order): PublishAllItem => ({ subject: OrderCreated, data: order satisfies PayloadInput<typeof OrderCreated> }))`).
 */
export interface PublishAllItem {
  subject: string | AnyContract;
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
  /** What `bus.options` returns: the options without credentials. */
  readonly publicOptions: EventBusOptions;
  readonly codec: Codec;
  readonly wire: Wire;
  readonly logger: Logger;
  readonly container: DependencyContainer;
  readonly configFile: string | undefined;
  readonly observers: ObserverSet;
  readonly metrics: MetricsObserver | undefined;
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
  #reconnects = 0;
  #stopping = false;
  #sampler: ConsumerSampler | undefined;
  readonly #sampledSpecs: SubscriptionSpec[] = [];

  get status(): BusStatus {
    return this.#tracker.status;
  }

  /** Calls `listener` with every status change (connecting, connected, reconnecting, closed). Returns the unsubscribe function. */
  onStatusChange(listener: (status: BusStatus) => void): () => void {
    return this.#tracker.onChange(listener);
  }

  /**
   * The resolved options (defaults < config file < code < environment), with every credential
   * shown as "***" (server URL userinfo, passwords, tokens, nkey seeds). Throws before connect().
   */
  get options(): Readonly<EventBusOptions> {
    return this.#require("read options").publicOptions;
  }

  get configFile(): string | undefined {
    return this.#connected?.configFile;
  }

  get transportName(): string | undefined {
    return this.#connected?.transport.name;
  }

  /**
   * The version of the nats-server in use, as it announced itself (undefined before connect()
   * and on the memory transport). server-capabilities decides from it what the bus may use.
   */
  get serverVersion(): string | undefined {
    return this.#connected?.transport.serverVersion?.();
  }

  /** The connected transport, for tools built on a transport's own API (the CLI's dead-letter commands). */
  get transport(): Transport {
    return this.#require("use the transport").transport;
  }

  get logger(): Logger {
    return this.#connected?.logger ?? defaultLogger();
  }

  /** Liveness and readiness facts for health endpoints (see healthHandler() and register-listeners' /readyz). */
  health(): BusHealth {
    const listeners = this.#runners.flatMap((runner) => runner.health());
    const status = this.status;
    return {
      status,
      transport: this.#connected?.transport.name ?? null,
      ready: status === "connected" && !this.#stopping && listeners.every((listener) => listener.active && !listener.stalled && !listener.waiting),
      draining: this.#stopping,
      reconnects: this.#reconnects,
      listeners,
    };
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
  publish<const S extends SubjectArg>(subject: S & CheckedSubject<S>, ...args: DataArgs<S, PublishOptions>): Promise<PublishReceipt>;
  publish(target: SubjectArg, data?: unknown, options: PublishOptions = {}): Promise<PublishReceipt> {
    // Not async: a plain publish (no contract, the JSON codec) is the hot path, and it settles with the
    // transport's own promise instead of wrapping it in another one.
    try {
      const contract = Wire.contractOf(target);
      const subject = contract ? contract.subject : (target as string);
      assertPublishSubject(subject);
      const connected = this.#require(`publish to "${subject}"`);
      if (options.delayMs !== undefined || options.at !== undefined || options.ttlMs !== undefined) checkPublishTiming(subject, options, connected.transport);
      if (contract === undefined && connected.wire.plain) return send(connected, subject, connected.codec.encode(data, subject), options);
      return this.#publishChecked(connected, contract, subject, data, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A contract (validation, its codec) or a non-JSON bus codec (Content-Type header). */
  async #publishChecked(connected: Connected, contract: AnyContract | undefined, subject: string, data: unknown, options: PublishOptions): Promise<PublishReceipt> {
    const outgoing = await connected.wire.outgoing(contract, subject, data, options.headers, "publish");
    return send(connected, subject, outgoing.bytes, outgoing.headers === options.headers ? options : { ...options, headers: outgoing.headers });
  }

  /**
   * Publishes many messages with at most `maxInFlight` unconfirmed at once, so bulk
   * sends are neither one-round-trip-per-message slow nor unbounded in memory.
   * Resolves with the receipts in input order; on the first failure it waits for the
   * publishes in flight, then rejects naming the index of the message that failed.
   */
  async publishAll(items: Iterable<PublishAllItem>, { maxInFlight = 256 }: { maxInFlight?: number } = {}): Promise<PublishReceipt[]> {
    const receipts: PublishReceipt[] = [];
    let failure: unknown;
    // A sliding window: a counter and one waiter, so each message costs O(1) however large the window.
    let inFlight = 0;
    let wake: (() => void) | undefined;
    const settled = () => {
      inFlight--;
      const resume = wake;
      wake = undefined;
      resume?.();
    };
    const slotFree = () => new Promise<void>((resolve) => (wake = resolve));
    let index = 0;
    for (const item of items) {
      if (failure) break;
      const position = index++;
      const pending = (this.publish as (subject: SubjectArg, data?: unknown, options?: PublishOptions) => Promise<PublishReceipt>)(item.subject, item.data, item.options);
      if (pending === ACCEPTED) {
        // Accepted at once (core NATS): nothing to wait for, but let the event loop turn now and then,
        // so a bulk send neither starves other work nor holds its bytes back from the socket.
        receipts[position] = NOT_STORED;
        if (position % YIELD_EVERY === YIELD_EVERY - 1) await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      inFlight++;
      pending
        .then(
          (receipt) => void (receipts[position] = receipt),
          (err: unknown) =>
            void (failure ??= new EventBusError(isEventBusError(err) ? err.code : ErrorCodes.PUBLISH, `publishAll: message #${position} to "${subjectName(item.subject)}" failed: ${describeError(err)}`, { cause: err })),
        )
        .then(settled);
      if (inFlight >= maxInFlight) await slotFree();
    }
    while (inFlight > 0) await slotFree();
    if (failure) throw failure;
    return receipts;
  }

  /**
   * Rejects with EB_ERR_REQUEST_TIMEOUT, EB_ERR_NO_RESPONDERS, or a RemoteError (EB_ERR_REMOTE) when the responder threw.
   * With a contract: the request is validated before sending and the reply against the contract's `reply` schema
   * (EB_ERR_VALIDATION); the reply type comes from the contract (or give it: `request<Quote>("quote.get", ...)`).
   */
  request<TReply = InferReply, const S extends SubjectArg = string>(
    subject: S & CheckedSubject<S>,
    ...args: DataArgs<S, RequestOptions>
  ): Promise<[TReply] extends [InferReply] ? ReplyOutput<S> : TReply>;
  async request(target: SubjectArg, data?: unknown, options: RequestOptions = {}): Promise<unknown> {
    const contract = Wire.contractOf(target);
    const subject = contract ? contract.subject : (target as string);
    assertPublishSubject(subject);
    const { transport, codec, wire, options: busOptions } = this.#require(`request "${subject}"`);
    const timeoutMs = options.timeout ?? busOptions.requestTimeoutMs;
    const outgoing =
      contract === undefined && wire.plain
        ? { bytes: codec.encode(data, subject), headers: options.headers }
        : await wire.outgoing(contract, subject, data, options.headers, "request");
    const reply = await transport.request(subject, outgoing.bytes, { timeoutMs, headers: outgoingHeaders(outgoing.headers) });
    const remoteError = remoteErrorOf(subject, reply);
    if (remoteError) throw remoteError;
    const value = wire.decode(contract, subject, reply, `the requester of "${subject}"`);
    return contract?.reply ? await Wire.validateReply(contract.reply, value, subject, `reply to a request on "${subject}"`) : value;
  }

  /**
   * Subscribes the recorded @Listen handlers (all of them, or those of `classes`).
   * register-listeners calls this; call it yourself for the embedded single-process mode and in tests.
   */
  async listen(classes?: readonly ListenerClass[]): Promise<readonly ListenerSpec[]> {
    const { transport, wire, observers, container, options } = this.#require("listen");
    const runner = new ListenerRunner({ transport, wire, observers, container, deadLetterPrefix: options.deadLetterPrefix, retry: options.retry });
    const specs = listenerRegistry.all(classes);
    const exclusive = specs.find((spec) => spec.options.exclusive);
    if (exclusive && !transport.features.exclusive) {
      throw new EventBusError(ErrorCodes.INVALID_LISTENER, `${exclusive.id}: exclusive: true needs the "jetstream" transport (the server picks the active process); the "${transport.name}" transport cannot`);
    }
    // Build first: a class that cannot be built must fail the start before any consumer exists.
    const instances = runner.build(specs);
    await this.provision(classes);
    this.#runners.push(runner);
    await runner.start(specs, instances);
    this.#sampleConsumers(runner.listeners);
    return runner.listeners;
  }

  /** JetStream: keeps the consumer gauges (pending, ack pending, redelivered) of every listened consumer up to date. */
  #sampleConsumers(specs: readonly ListenerSpec[]): void {
    const { transport, metrics, options, logger } = this.#require("listen");
    if (!metrics || !transport.consumerStates || options.metricsIntervalMs === 0) return;
    this.#sampledSpecs.push(...specs.map(subscriptionSpecOf).filter((spec) => spec.durable));
    if (this.#sampler || this.#sampledSpecs.length === 0) return;
    this.#sampler = startConsumerSampler(
      () => transport.consumerStates!(this.#sampledSpecs),
      (states) => metrics.consumers(states),
      options.metricsIntervalMs,
      (error) => logger.debug({ error: describeError(error) }, "could not sample the consumer gauges; trying again at the next interval"),
    );
  }

  /**
   * Creates or updates what the listeners need on a durable transport (streams and
   * durable consumers; idempotent), or with `dryRun` only reports it. listen() runs it
   * first; `nats-events provision` runs it alone. Core transports need nothing: [].
   */
  async provision(
    classes?: readonly ListenerClass[],
    { dryRun = false, onProgress }: { dryRun?: boolean; onProgress?: ProvisionProgress } = {},
  ): Promise<ProvisionChange[]> {
    const { transport, logger } = this.#require("provision");
    if (!transport.provision) return [];
    const changes = await transport.provision(listenerRegistry.all(classes).map(subscriptionSpecOf), { dryRun, onProgress });
    for (const change of changes) {
      const fields = { kind: change.kind, name: change.name, detail: change.detail };
      if (change.refused) logger.warn({ ...fields, refused: change.refused }, `kept ${change.kind} settings that the configuration would weaken (set allowWeakening: true on the stream to allow) or that nats-server cannot change`);
      if (change.action === "unavailable") logger.warn(fields, `${change.kind} not available now; its listeners wait for it`);
      else if (change.action !== "unchanged") logger.info(fields, `${dryRun ? "would " : ""}${change.action} ${change.kind}`);
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
    this.#stopping = true;
    connected.observers.lifecycle({ type: "draining", transport: connected.transport.name });
    const runners = this.#runners;
    let failure: unknown;
    for (const runner of runners) await runner.stop(connected.options.drainTimeoutMs).catch((err) => (failure ??= err));
    await connected.transport.drain().catch((err) => (failure ??= err));
    await this.#closeOnce(false);
    connected.observers.lifecycle({ type: "drained", transport: connected.transport.name });
    if (failure) throw failure;
  }

  /** Closes at once (messages not yet handled are dropped by core transports). Idempotent. */
  close(): Promise<void> {
    return this.#closeOnce(true);
  }

  #closeOnce(report: boolean): Promise<void> {
    this.#closing ??= this.#close(report);
    return this.#closing;
  }

  async #connect(input: ConnectOptions): Promise<void> {
    const { logger: givenLogger, codec, configFile, cwd, env, container, transportInstance, metricsRegistry, subjectLabel, observers: extraObservers, ...code } = input;
    const loaded = await loadOptions(code, { configFile, cwd, env });
    const { options } = loaded;
    const logger = givenLogger ?? createLogger(options.logLevel);
    const transport = transportInstance ?? createTransport(options, logger);
    const { observers, metrics } = createBusObservers(options, logger, { metricsRegistry, subjectLabel, observers: extraObservers });
    transport.onStatus((status) => {
      const previous = this.#tracker.status;
      if (status === previous) return;
      if (previous === "reconnecting" && status === "connected") this.#reconnects++;
      this.#tracker.set(status);
      observers.lifecycle({ type: "status", transport: transport.name, status, previous, reconnects: this.#reconnects });
    });
    try {
      await transport.connect();
    } catch (err) {
      observers.dispose();
      throw err;
    }
    this.#closing = undefined;
    this.#stopping = false;
    this.#reconnects = 0;
    const busCodec = codec ?? new JsonCodec();
    this.#connected = { transport, options, publicOptions: withoutCredentials(options), codec: busCodec, wire: new Wire(busCodec), logger, container: container ?? rootContainer, configFile: loaded.configFile, observers, metrics };
    const servers = transport.name === "memory" ? undefined : options.servers.map(redactCredentials).join(",");
    observers.lifecycle({ type: "connected", transport: transport.name, servers, serverVersion: transport.serverVersion?.() });
  }

  async #close(report: boolean): Promise<void> {
    const connected = this.#connected;
    this.#runners = [];
    this.#sampler?.stop();
    this.#sampler = undefined;
    this.#sampledSpecs.length = 0;
    if (!connected) return this.#tracker.set("closed");
    await connected.transport.close();
    this.#tracker.set("closed");
    if (report) connected.observers.lifecycle({ type: "closed", transport: connected.transport.name });
    connected.observers.dispose();
  }

  #require(action: string): Connected {
    if (!this.#connected || this.status === "closed") {
      throw new EventBusError(ErrorCodes.NOT_CONNECTED, `cannot ${action}: the event bus is ${this.#connected ? "closed" : "not connected"}; call bus.connect() first`);
    }
    return this.#connected;
  }
}

/** publishAll of messages accepted at once lets the event loop turn after this many. */
const YIELD_EVERY = 1_000;

function subjectName(subject: SubjectArg): string {
  return typeof subject === "string" ? subject : subject.subject;
}

/** Hands encoded bytes to the transport, inside the observers' publish wrappers when there are any. */
function send({ transport, observers }: Connected, subject: string, bytes: Uint8Array, options: PublishOptions): Promise<PublishReceipt> {
  if (!observers.observesPublish) return transport.publish(subject, bytes, withContext(options));
  // Headers are taken inside the wrappers: a tracing observer's publish span is their traceparent.
  return observers.publish(subject, () => transport.publish(subject, bytes, withContext(options)));
}

/** The user's headers plus the correlation id and trace context of the current request or message. */
function withContext(options: PublishOptions): PublishOptions {
  const headers = outgoingHeaders(options.headers);
  return headers === options.headers ? options : { ...options, headers };
}

let fallbackLogger: Logger | undefined;
/** The logger of a bus that is not connected yet (pino at info). */
function defaultLogger(): Logger {
  return (fallbackLogger ??= createLogger());
}
