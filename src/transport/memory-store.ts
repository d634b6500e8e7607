import type { EventBusOptions, StreamOptions } from "../bus/options.js";
import { systemClock, type Clock } from "../clock.js";
import { ErrorCodes, EventBusError } from "../errors.js";
import { MemoryActivity } from "./memory-activity.js";
import { MemoryConsumer } from "./memory-consumer.js";
import { MemoryStream, type StoredMessage } from "./memory-stream.js";
import { MemoryBroker } from "./memory.js";
import { consumerName, noStreamError, streamCovering } from "./jetstream/provisioning.js";
import { SCHEDULE_SUBJECT_PREFIX } from "./jetstream/schedule-subjects.js";
import { allowingStream, DELAYED_MSG_ID_HEADER, isDelayed, ttlHeaderValue } from "./stream-features.js";
import { singleCopy, type ConsumerState, type MessageHeaders, type PublishReceipt, type SendOptions, type StreamState, type SubscriptionSpec } from "./transport.js";

/**
 * The stream that captures every subject when no `streams` are configured. It allows delayed
 * publishes and TTLs: there is no configuration to check them against (with `streams`, each
 * stream's allowSchedules / allowMessageTtl is checked as JetStream would).
 */
export const CATCH_ALL_STREAM: StreamOptions = { name: "EVENTS", subjects: [">"], allowSchedules: true, allowMessageTtl: true };

/** One accepted publish, as the store saw it (duplicates included). */
export interface PublishedRecord {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MessageHeaders;
  readonly msgId: string | undefined;
  readonly receipt: PublishReceipt;
}

export type MemoryStoreOptions = Pick<EventBusOptions, "streams" | "deadLetterPrefix" | "deadLetterStream">;

/**
 * What a JetStream server keeps, in memory, for DurableMemoryTransport: the configured
 * streams (or one catch-all stream) plus the dead-letter stream, their durable consumers
 * (named like the real ones, so processes of one queue group share one), and a core
 * message switch for request-reply and `durable: false` listeners. Every transport given
 * the same store talks to the same "server", like processes connected to one nats-server.
 */
export class MemoryStreamStore {
  /** Core NATS for this store only: buses on another store (or the plain memory transport) never hear it. */
  readonly broker = new MemoryBroker();
  readonly activity = new MemoryActivity();
  readonly clock: Clock;
  readonly deadLetterStream: MemoryStream;
  readonly #streams: MemoryStream[];
  readonly #streamOptions: StreamOptions[];
  readonly #consumers = new Map<string, MemoryConsumer>();
  readonly #published: PublishedRecord[] = [];
  /** Numbers the subjects delayed messages wait on (one per message, as on JetStream). */
  #schedules = 0;
  /** Streams were configured (else one catch-all stream captures everything, request subjects included). */
  readonly #configured: boolean;

  constructor(options: MemoryStoreOptions, clock: Clock = systemClock) {
    this.clock = clock;
    this.#configured = options.streams.length > 0;
    const deadLetters: StreamOptions = { name: options.deadLetterStream, subjects: [`${options.deadLetterPrefix}.>`] };
    // Dead letters first: the catch-all stream must not swallow them.
    this.#streamOptions = [deadLetters, ...(options.streams.length > 0 ? options.streams : [CATCH_ALL_STREAM])];
    this.#streams = this.#streamOptions.map((stream) => new MemoryStream(stream));
    this.deadLetterStream = this.#streams[0]!;
  }

  /**
   * Stores a message in the stream that captures its subject; rejects with EB_ERR_NO_STREAM when
   * none does, and with StreamFeatureError when `timing` asks for a delay or TTL the stream does
   * not allow. A delayed message is held like JetStream holds a schedule (see #hold).
   */
  store(subject: string, data: Uint8Array, headers: MessageHeaders, msgId: string | undefined, timing: SendOptions = {}): PublishReceipt {
    const stream = this.#streamOf(subject, "publish");
    if (isDelayed(timing) || timing.ttlMs !== undefined) allowingStream(subject, timing, stream.options, this.#streamOptions);
    const { seq, duplicate } = isDelayed(timing) ? this.#hold(stream, subject, data, headers, msgId, timing) : this.#append(stream, subject, data, headers, msgId, timing.ttlMs);
    const receipt = { duplicate, stream: stream.name, seq };
    this.#published.push({ subject, data, headers, msgId, receipt });
    return receipt;
  }

  #append(stream: MemoryStream, subject: string, data: Uint8Array, headers: MessageHeaders, msgId: string | undefined, ttlMs: number | undefined): { seq: number; duplicate: boolean } {
    const stored = ttlMs === undefined ? headers : { ...headers, "Nats-TTL": ttlHeaderValue(ttlMs) };
    const appended = stream.append(subject, data, stored, msgId, this.clock.now());
    if (appended.duplicate) return appended;
    if (ttlMs !== undefined) this.clock.schedule(ttlMs, () => stream.delete(appended.seq));
    for (const consumer of this.#consumers.values()) if (consumer.stream === stream) consumer.notify();
    return appended;
  }

  /**
   * JetStream's schedule, in memory: the message takes a sequence number of the stream (msgId
   * deduplicates it) and waits until it is due on the clock, then a copy is appended on its
   * subject for the listeners, with the headers JetStream gives that copy (no Nats-Msg-Id;
   * Eb-Msg-Id, Nats-Scheduler, Nats-Schedule-Next), and its TTL from then on. Unlike on JetStream
   * the waiting message is not a stored message: the catch-all stream captures ">", and a
   * listener on ">" must not receive schedules.
   */
  #hold(stream: MemoryStream, subject: string, data: Uint8Array, headers: MessageHeaders, msgId: string | undefined, timing: SendOptions): { seq: number; duplicate: boolean } {
    const scheduleSubject = `${SCHEDULE_SUBJECT_PREFIX}.${stream.name}.${++this.#schedules}`;
    const now = this.clock.now();
    const due = timing.at ? timing.at.getTime() : now + timing.delayMs!;
    const held = stream.reserve(msgId, now);
    if (held.duplicate) return held;
    const produce = () => {
      const copy = { ...headers, ...(msgId !== undefined && { [DELAYED_MSG_ID_HEADER]: msgId }), "Nats-Scheduler": scheduleSubject, "Nats-Schedule-Next": "purge" };
      this.#append(stream, subject, data, copy, undefined, timing.ttlMs);
    };
    if (due <= now) produce();
    else this.clock.schedule(due - now, produce);
    return held;
  }

  /**
   * What JetStream's provisioning refuses, refused here too before anything subscribes: a
   * durable listener no stream captures (EB_ERR_NO_STREAM); with configured streams, a
   * `durable: false` listener on a subject a stream captures (its requests would get the stream's PubAck).
   */
  checkListeners(specs: readonly SubscriptionSpec[]): void {
    for (const spec of specs) {
      if (spec.durable) {
        this.#streamOf(spec.subject, `listener ${spec.listenerId}`);
        continue;
      }
      const stream = this.#configured ? streamCovering(spec.subject, this.#streamOptions) : undefined;
      if (stream) {
        throw new EventBusError(
          ErrorCodes.INVALID_LISTENER,
          `${spec.listenerId} listens on "${spec.subject}" with durable: false, but stream "${stream.name}" captures it; use a subject outside every stream for request-reply`,
        );
      }
    }
  }

  /** The durable consumer of a listener (created on first use, delivering everything the stream holds). */
  consumer(spec: SubscriptionSpec, ackWaitMs: number): MemoryConsumer {
    const stream = this.#streamOf(spec.subject, `listener ${spec.listenerId}`);
    const name = consumerName(spec);
    const key = `${stream.name}/${name}`;
    let consumer = this.#consumers.get(key);
    if (!consumer) {
      consumer = new MemoryConsumer(stream, name, spec.subject, spec.ackWaitMs ?? ackWaitMs, this.clock, this.activity, spec.exclusive !== undefined);
      this.#consumers.set(key, consumer);
    }
    return consumer;
  }

  /** Every accepted publish, oldest first. */
  published(): readonly PublishedRecord[] {
    return this.#published;
  }

  messages(streamName: string): StoredMessage[] {
    return this.#streams.find((stream) => stream.name === streamName)?.all() ?? [];
  }

  /** Streams with their consumers, shaped like `Transport.inspect()`. */
  inspect(): StreamState[] {
    return this.#streams.map((stream) => {
      const messages = stream.all();
      return {
        name: stream.name,
        subjects: stream.subjects,
        exists: true,
        messages: messages.length,
        bytes: messages.reduce((sum, message) => sum + message.data.length, 0),
        consumers: [...this.#consumers.values()].filter((consumer) => consumer.stream === stream).map(consumerState),
        replication: singleCopy(IN_PROCESS),
      };
    });
  }

  #streamOf(subject: string, where: string): MemoryStream {
    const options = streamCovering(subject, this.#streamOptions);
    if (!options) throw noStreamError(subject, this.#streamOptions, where);
    return this.#streams[this.#streamOptions.indexOf(options)]!;
  }
}

function consumerState(consumer: MemoryConsumer): ConsumerState {
  return {
    stream: consumer.stream.name,
    name: consumer.name,
    filter: consumer.filter,
    pending: consumer.pending,
    ackPending: consumer.ackPending,
    redelivered: consumer.redelivered,
    replication: singleCopy(IN_PROCESS),
  };
}

/** The holder named as leader of the in-process streams and consumers. */
const IN_PROCESS = "in-process";
