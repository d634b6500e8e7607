import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { errors as natsErrors } from "@nats-io/transport-node";
import type { EventBusOptions, StreamOptions } from "../../bus/options.js";
import { ErrorCodes, EventBusError, describeError } from "../../errors.js";
import { NatsCoreTransport, payloadTooLarge, toNatsHeaders } from "../nats-core.js";
import { requestToStreamError } from "../pub-ack-reply.js";
import { requireServerFeature } from "../server-capabilities.js";
import type {
  BusStatus,
  ConnectionInfo,
  ConsumerState,
  Deliver,
  InboundMessage,
  ProvisionChange,
  ProvisionProgress,
  PublishReceipt,
  RequestOptions,
  SendOptions,
  StreamState,
  Subscription,
  SubscriptionSpec,
  Transport,
  TransportFeatures,
} from "../transport.js";
import { createLogger, type Logger } from "../../logger.js";
import { BackgroundStreams } from "./background-streams.js";
import { ConsumerHandle } from "./consumer-handle.js";
import type { DeliveryLink } from "./jetstream-delivery.js";
import { ConsumerPump, DEFAULT_PULL_EXPIRES_MS, DEFAULT_PULL_HEARTBEAT_MS } from "./consumer-pump.js";
import { inspectConsumers, inspectStreams } from "./inspect.js";
import { consumerTarget, desiredStreams, noStreamError, provision, streamCovering, type ConsumerTarget } from "./provisioning.js";
import { PinnedPull } from "./pinned-pull.js";
import { checkRetryFitsDuplicateWindows, publishWhileUnavailable, type PublishRetryPolicy } from "./publish-retry.js";
import { ServerStreamFlags, timedAttempt, timedPublish, timedPublishRefusal } from "./timed-publish.js";

/**
 * JetStream: publish resolves after the server stored the message (PubAck);
 * listeners read from durable pull consumers, ack after the handler, and the
 * runner retries with delays and dead-letters. Connection, status, request-reply
 * and `durable: false` listeners go through the core NATS connection it wraps.
 */
export class JetStreamTransport implements Transport {
  readonly name = "jetstream";
  readonly features: TransportFeatures = { durable: true, redelivery: true, queueGroups: true, requestReply: true, delayedDelivery: true, messageTtl: true, exclusive: true };
  readonly #core: NatsCoreTransport;
  readonly #streams: StreamOptions[];
  readonly #retry: PublishRetryPolicy;
  readonly #background: BackgroundStreams;
  readonly #streamFlags = new ServerStreamFlags();
  #js: JetStreamClient | undefined;
  #jsm: JetStreamManager | undefined;

  constructor(
    private readonly options: EventBusOptions,
    logger: Logger = createLogger(options.logLevel),
  ) {
    this.#core = new NatsCoreTransport(options, logger);
    this.#streams = desiredStreams(options);
    this.#background = new BackgroundStreams(logger, async (name) => {
      const stream = this.#streams.find((candidate) => candidate.name === name)!;
      const [change] = await provision(this.manager, [stream], [], { dryRun: false, streamsOnly: true, serverVersion: this.serverVersion() });
      return change?.action === "unavailable" ? change.detail : undefined;
    });
    this.#retry = { retryForMs: options.publishRetryMs, attemptTimeoutMs: options.publishTimeoutMs };
    checkRetryFitsDuplicateWindows(options.publishRetryMs, options.streams);
  }

  get status(): BusStatus {
    return this.#core.status;
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    return this.#core.onStatus(listener);
  }

  /**
   * Connects, then creates configured streams that do not exist yet (never changes existing
   * ones: that is provisioning's job). A stream the cluster cannot answer for now (no
   * leader, timeout) does not fail the connect: it is logged and created or checked in the
   * background, while publishing to the other streams works.
   */
  async connect(): Promise<void> {
    await this.#core.connect();
    try {
      this.#jsm = await jetstreamManager(this.#core.connection);
      this.#js = jetstream(this.#core.connection, { timeout: this.options.publishTimeoutMs });
    } catch (err) {
      await this.#core.close();
      throw new EventBusError(ErrorCodes.CONNECT, `connected to NATS, but JetStream is not available: ${describeError(err)} (start nats-server with -js; on a cluster, wait for a JetStream meta leader)`, { cause: err });
    }
    if (!this.options.createStreamsOnConnect) return;
    try {
      const changes = await provision(this.#jsm, this.#streams, [], { dryRun: false, streamsOnly: true, serverVersion: this.serverVersion() });
      for (const change of changes.filter((c) => c.action === "unavailable")) this.#background.retry(change.name, change.detail);
    } catch (err) {
      await this.#core.close();
      throw err;
    }
  }

  readonly #deliveryLink: DeliveryLink = {
    serverVersion: () => this.#core.serverVersion(),
    sendSoon: (subject, data) => this.#core.sendSoon(subject, data),
  };

  /**
   * Rides out a stream leader election by retrying with the same msgId (see publish-retry.ts).
   * delayMs/at/ttlMs: see timed-publish.ts (a delayed publish's receipt is where its schedule is stored).
   */
  async publish(subject: string, data: Uint8Array, options: SendOptions = {}): Promise<PublishReceipt> {
    const js = this.#client();
    const timed = options.delayMs !== undefined || options.at !== undefined || options.ttlMs !== undefined ? timedPublish(subject, options, this.#streams, this.serverVersion()) : undefined;
    if (timed) await this.#streamFlags.require(this.manager, subject, options, timed);
    const headers = options.headers ? toNatsHeaders(options.headers) : undefined;
    try {
      const attempt = timed ? timedAttempt(js, data, options, timed) : (msgID: string | undefined, timeout: number) => js.publish(subject, data, { headers, msgID, timeout });
      const ack = await publishWhileUnavailable(attempt, this.#retry, {
        subject,
        msgId: options.msgId,
        streamOf: () => streamCovering(subject, this.#streams)?.name,
      });
      return { duplicate: ack.duplicate, stream: ack.stream, seq: ack.seq };
    } catch (err) {
      if (err instanceof EventBusError) throw err;
      const refusal = timed && timedPublishRefusal(err, subject, options, timed);
      if (refusal) throw refusal;
      const tooLarge = payloadTooLarge(err, `cannot publish to "${subject}"`, data, options.headers, this.#core.connection);
      if (tooLarge) throw tooLarge;
      // No stream on the subject looks, to nats.js, like "no responders" / "jetstream is not enabled".
      const unanswered = err instanceof natsErrors.NoRespondersError || (err instanceof natsErrors.RequestError && err.isNoResponders()) || /not enabled/i.test(describeError(err));
      const covering = streamCovering(subject, this.#streams);
      if (unanswered && !covering) throw noStreamError(subject, this.#streams, "publish");
      if (unanswered) {
        throw new EventBusError(ErrorCodes.PUBLISH_ACK, `publish to "${subject}": stream "${covering!.name}" did not answer (no responders: it does not exist on the server, or has no leader right now)`, { cause: err });
      }
      if (err instanceof natsErrors.TimeoutError || (err instanceof Error && err.cause instanceof natsErrors.TimeoutError)) {
        throw new EventBusError(ErrorCodes.PUBLISH_ACK, `publish to "${subject}": no PubAck from JetStream within ${this.options.publishTimeoutMs} ms; the message may or may not be stored (retry with the same msgId to be safe)`, { cause: err });
      }
      throw new EventBusError(ErrorCodes.PUBLISH_ACK, `publish to "${subject}" was not stored by JetStream: ${describeError(err)}`, { cause: err });
    }
  }

  /** Rejects before sending when a configured stream captures the subject (it would store the request and answer with a PubAck). */
  async request(subject: string, data: Uint8Array, options: RequestOptions): Promise<InboundMessage> {
    const stream = streamCovering(subject, this.#streams);
    if (stream) throw requestToStreamError(subject, stream.name);
    return this.#core.request(subject, data, options);
  }

  requestMany(subject: string, data: Uint8Array, options: { maxWaitMs: number; stallMs: number }): Promise<InboundMessage[]> {
    return this.#core.requestMany(subject, data, options);
  }

  /**
   * A durable listener gets a pump at once; the pump finds its consumer (creating it from the
   * configuration when it is missing) and keeps pulling through leader changes and outages.
   */
  async subscribe(spec: SubscriptionSpec, deliver: Deliver): Promise<Subscription> {
    if (!spec.durable) return this.#core.subscribe(spec, deliver);
    this.#requireExclusive([spec]);
    const target = consumerTarget(spec, this.#streams, this.options);
    const handle = new ConsumerHandle(this.#client(), this.manager, target, () => this.#provisionConsumer(target));
    const settings = {
      concurrency: spec.concurrency,
      ackWaitMs: spec.ackWaitMs ?? this.options.ackWaitMs,
      pullExpiresMs: DEFAULT_PULL_EXPIRES_MS,
      heartbeatMs: DEFAULT_PULL_HEARTBEAT_MS,
      stallThresholdMs: this.options.consumerStallMs,
    };
    const pinned = spec.exclusive && new PinnedPull(this.#core.connection, this.manager, target.stream, target.name);
    return new ConsumerPump(handle, settings, deliver, this.#deliveryLink, pinned || undefined);
  }

  /** Exclusive listeners need priority groups: a server too old gets a ServerVersionError naming the listener, before anything is created. */
  #requireExclusive(specs: readonly SubscriptionSpec[]): void {
    const exclusive = specs.find((spec) => spec.durable && spec.exclusive);
    if (exclusive) requireServerFeature("exclusive listeners", this.#core.serverVersion(), `exclusive listeners (${exclusive.listenerId})`);
  }

  /** (Re-)creates one consumer and its stream from the configuration; throws while the stream is unavailable. */
  async #provisionConsumer(target: ConsumerTarget): Promise<void> {
    const stream = this.#streams.find((candidate) => candidate.name === target.stream)!;
    const changes = await provision(this.manager, [stream], [target], { dryRun: false, serverVersion: this.serverVersion() });
    const down = changes.find((change) => change.action === "unavailable");
    if (down) throw new EventBusError(ErrorCodes.PROVISION, `${down.kind} "${down.name}": ${down.detail}`);
  }

  async provision(specs: readonly SubscriptionSpec[], { dryRun, onProgress }: { dryRun: boolean; onProgress?: ProvisionProgress }): Promise<ProvisionChange[]> {
    const durable = specs.filter((spec) => spec.durable);
    // Every uncovered subject is an error before anything is created: never a silent black hole.
    const targets = durable.map((spec) => consumerTarget(spec, this.#streams, this.options));
    for (const spec of specs.filter((s) => !s.durable && streamCovering(s.subject, this.#streams))) {
      throw new EventBusError(
        ErrorCodes.INVALID_LISTENER,
        `${spec.listenerId} listens on "${spec.subject}" with durable: false, but stream "${streamCovering(spec.subject, this.#streams)!.name}" captures it, ` +
          `so requests to it would be answered by the stream's PubAck; use a subject outside every stream for request-reply`,
      );
    }
    if (!this.#jsm) throw new EventBusError(ErrorCodes.NOT_CONNECTED, "cannot provision: the JetStream transport is not connected");
    this.#requireExclusive(durable);
    return provision(this.#jsm, this.#streams, targets, { dryRun, onProgress, serverVersion: this.serverVersion() });
  }

  inspect(): Promise<StreamState[]> {
    return inspectStreams(this.manager, this.#streams, this.#core.connection.info?.server_name);
  }

  consumerStates(specs: readonly SubscriptionSpec[]): Promise<ConsumerState[]> {
    const durable = specs.filter((spec) => spec.durable);
    return inspectConsumers(this.manager, durable.map((spec) => consumerTarget(spec, this.#streams, this.options)), this.#core.connection.info?.server_name);
  }

  connectionInfo(): Promise<ConnectionInfo> {
    return this.#core.connectionInfo();
  }

  serverVersion(): string | undefined {
    return this.#core.serverVersion();
  }

  drain(): Promise<void> {
    this.#background.stop();
    return this.#core.drain();
  }

  close(): Promise<void> {
    this.#background.stop();
    return this.#core.close();
  }

  /** The JetStream manager, for the CLI's dead-letter and status commands. */
  get manager(): JetStreamManager {
    if (!this.#jsm) throw new EventBusError(ErrorCodes.NOT_CONNECTED, "the JetStream transport is not connected; call bus.connect() first");
    return this.#jsm;
  }

  #client(): JetStreamClient {
    if (!this.#js || this.#core.status === "closed") {
      throw new EventBusError(ErrorCodes.NOT_CONNECTED, "the JetStream transport is not connected; call bus.connect() first");
    }
    return this.#js;
  }
}
