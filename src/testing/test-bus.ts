import { container as rootContainer } from "tsyringe";
import { EventBus, type ConnectOptions } from "../bus/event-bus.js";
import { loadOptions } from "../bus/load-options.js";
import { JsonCodec } from "../codec/json-codec.js";
import { contractRegistry, type AnyContract } from "../contracts/contract.js";
import { Wire } from "../contracts/wire.js";
import { ErrorCodes, EventBusError } from "../errors.js";
import { createLogger } from "../logger.js";
import type { ListenerClass, ListenerSpec } from "../listeners/registry.js";
import { subjectMatches } from "../subject.js";
import { listDeadLetters, replayDeadLetter, type DeadLetter } from "../transport/memory-dead-letters.js";
import { DurableMemoryTransport } from "../transport/memory-durable.js";
import { MemoryStreamStore } from "../transport/memory-store.js";
import { DeliveryRecorder, publishedMessage, type Decode, type DeliveryRecord, type PublishedMessage } from "./records.js";
import { TestClock } from "./test-clock.js";

export interface TestBusOptions extends Omit<ConnectOptions, "transportInstance"> {
  /** The bus to connect. Default: the one `container` resolves, i.e. the one EventPublisher, route() and withPublisher() use. */
  bus?: EventBus;
  /** The clock retries, ack waits and the dedupe window run on. Default: a new TestClock at the real time now. */
  clock?: TestClock;
  /**
   * Share another test bus's store ("server") and clock, to test what several processes do
   * together: two members of one queue group, a restart that picks up where another left.
   */
  sharing?: TestBus;
  /** How long (real time) settled() waits for handlers before failing with EB_ERR_NOT_SETTLED. Default 5000. */
  settleTimeoutMs?: number;
}

/**
 * Connects an EventBus to a fresh in-memory store with JetStream's durable semantics and
 * returns it wrapped for tests. Everything else is production code: the options are
 * resolved as `bus.connect()` resolves them (config file, code, environment), so the
 * `retry` policy, `streams`, dead-letter prefix and stream are the configured ones;
 * only the transport is replaced. Close it after each test (`await testBus.close()`).
 */
export async function createTestBus(options: TestBusOptions = {}): Promise<TestBus> {
  const { bus: givenBus, sharing, clock: givenClock, settleTimeoutMs = 5_000, ...connect } = options;
  const clock = sharing?.clock ?? givenClock ?? new TestClock();
  const bus = givenBus ?? (connect.container ?? rootContainer).resolve(EventBus);
  if (bus.status !== "closed") {
    throw new EventBusError(
      ErrorCodes.CONFIG,
      `createTestBus(): the EventBus is already ${bus.status}, so it cannot be connected to a test store; close the previous test bus first (await testBus.close() in afterEach), or pass { bus: new EventBus() }`,
    );
  }
  const { logger, codec, configFile, cwd, env, container, metricsRegistry, subjectLabel, observers, ...code } = connect;
  const { options: resolved } = await loadOptions(code, { configFile, cwd, env });
  const store = sharing?.store ?? new MemoryStreamStore(resolved, clock);
  const wire = new Wire(codec ?? new JsonCodec());
  const decode: Decode = (subject, data, headers) => wire.decode(contractRegistry.get(subject), subject, { subject, data, headers }, "the test bus");
  const recorder = new DeliveryRecorder(decode);
  await bus.connect({
    ...connect,
    logger: logger ?? createLogger("silent"),
    transportInstance: new DurableMemoryTransport(store, resolved.ackWaitMs),
    observers: [...(observers ?? []), recorder],
  });
  return new TestBus(bus, clock, store, recorder, decode, resolved.deadLetterPrefix, settleTimeoutMs);
}

/** A subject pattern (wildcards allowed), a contract, or every subject. */
type SubjectFilter = string | AnyContract | undefined;

/** The production EventBus on an in-memory durable store, with a test clock and what happened on it. */
export class TestBus {
  constructor(
    /** The connected EventBus (publish, request, listen, drain: the real API). */
    readonly bus: EventBus,
    readonly clock: TestClock,
    /** The in-memory "server": streams, consumers, dead letters. */
    readonly store: MemoryStreamStore,
    private readonly recorder: DeliveryRecorder,
    private readonly decode: Decode,
    private readonly deadLetterPrefix: string,
    private readonly settleTimeoutMs: number,
  ) {}

  /** Subscribes the @Listen handlers of `classes` (default: every one recorded), like register-listeners does. */
  listen(classes?: readonly ListenerClass[]): Promise<readonly ListenerSpec[]> {
    return this.bus.listen(classes);
  }

  /** What was published, oldest first (dead-letter copies are in deadLetters()), optionally only on `subject`. */
  published(subject?: SubjectFilter): PublishedMessage[] {
    const matches = matcher(subject);
    return this.store
      .published()
      .filter((record) => !record.subject.startsWith(`${this.deadLetterPrefix}.`) && matches(record.subject))
      .map((record) =>
        publishedMessage(
          { subject: record.subject, raw: record.data, headers: record.headers, msgId: record.msgId, duplicate: record.receipt.duplicate, stream: record.receipt.stream, seq: record.receipt.seq },
          this.decode,
        ),
      );
  }

  /** Every delivery with its outcome, in order, optionally of one listener (class or "Class.method") or on one subject. */
  deliveries(filter: { listener?: ListenerClass | string; subject?: SubjectFilter } = {}): DeliveryRecord[] {
    const matches = matcher(filter.subject);
    const listener = filter.listener;
    return this.recorder.records.filter(
      (record) =>
        matches(record.subject) &&
        (listener === undefined || (typeof listener === "string" ? record.listener === listener : record.listener.startsWith(`${listener.name}.`))),
    );
  }

  /** The dead letters kept now, oldest first (as `nats-events dead-letters list` shows them on JetStream). */
  deadLetters(): DeadLetter[] {
    return listDeadLetters(this.store);
  }

  /** Re-publishes dead letters (by sequence; default: all) to their original subjects and removes them. */
  async replayDeadLetters(sequences?: readonly number[]): Promise<void> {
    for (const seq of sequences ?? this.deadLetters().map((letter) => letter.seq)) await replayDeadLetter(this.store, seq, this.bus.transport);
  }

  /**
   * Resolves when nothing runs: every delivery handed out has finished and nothing can be
   * handed out now. A retry that is due only after the clock moves does not count.
   * Rejects with EB_ERR_NOT_SETTLED, naming what still runs, after `timeoutMs` of real time.
   */
  async settled({ timeoutMs = this.settleTimeoutMs }: { timeoutMs?: number } = {}): Promise<void> {
    const { activity } = this.store;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new EventBusError(ErrorCodes.NOT_SETTLED, `the test bus did not settle within ${timeoutMs} ms; still running: ${activity.describe().join("; ") || "(nothing now)"}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([activity.idle(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Moves the test clock forward (retries fall due), then waits until settled. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.settled();
  }

  /** Moves the clock to each retry in turn until none is left (every message handled or dead-lettered). */
  async advanceUntilIdle({ maxSteps = 1_000 }: { maxSteps?: number } = {}): Promise<void> {
    await this.settled();
    for (let step = 0; ; step++) {
      const next = this.clock.nextTimerIn();
      if (next === undefined) return;
      if (step >= maxSteps) {
        throw new EventBusError(ErrorCodes.NOT_SETTLED, `advanceUntilIdle(): still ${this.clock.pendingTimers} retries scheduled after ${maxSteps} clock steps; is a handler retried forever?`);
      }
      await this.advance(next);
    }
  }

  /** Closes the bus (what is still running is dropped); the next test can create a test bus again. */
  close(): Promise<void> {
    return this.bus.close();
  }
}

function matcher(subject: SubjectFilter): (candidate: string) => boolean {
  if (subject === undefined) return () => true;
  const pattern = typeof subject === "string" ? subject : subject.subject;
  return (candidate) => subjectMatches(pattern, candidate);
}
