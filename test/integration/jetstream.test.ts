// The JetStream transport against a real nats-server: retries with backoff delays,
// dead letters (max deliveries, non-retryable, undecodable), msgId dedupe, streams
// that do not cover a subject, bulk publish, provisioning, bounded concurrency,
// "working" heartbeats for long handlers, and drain handing unstarted messages on.
import "reflect-metadata";
import assert from "node:assert/strict";
import { setTimeout as work } from "node:timers/promises";
import { after, afterEach, before, describe, test } from "node:test";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StoredMsg } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { injectable } from "tsyringe";
import {
  DeadLetterHeaders,
  ErrorCodes,
  EventBus,
  Listen,
  NonRetryableError,
  type ConnectOptions,
  type ListenOptions,
  type MessageContext,
} from "../../src/index.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { Collector, uniqueName, waitFor } from "../helpers/unique.js";
import { removeDir, silentLogger, tempCwd } from "./support.js";
import { errorWithCode as isCode } from "../helpers/assertions.js";

const STREAM = "INTEGRATION";
const PREFIX = "integ";
const DEAD_LETTERS = "DEAD_LETTERS";
const WAIT_MS = 10_000;
const NS_PER_MS = 1_000_000;
const encoder = new TextEncoder();

let nats: NatsServer | undefined;
let cwd: string | undefined;
let raw: NatsConnection | undefined;
let js: JetStreamClient;
let jsm: JetStreamManager;
let buses: EventBus[] = [];

before(async () => {
  nats = await startNatsServer();
  cwd = await tempCwd("jetstream");
  raw = await connect({ servers: nats.url, name: "integration-raw-client" });
  js = jetstream(raw);
  jsm = await jetstreamManager(raw);
});

afterEach(async () => {
  const open = buses;
  buses = [];
  await Promise.all(open.map((bus) => bus.close()));
});

after(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  await raw?.close();
  await nats?.stop();
  await removeDir(cwd);
});

async function makeBus(extra: ConnectOptions = {}): Promise<EventBus> {
  const bus = new EventBus();
  buses.push(bus);
  await bus.connect({
    transport: "jetstream",
    servers: [nats!.url],
    logger: silentLogger,
    env: {},
    cwd,
    streams: [{ name: STREAM, subjects: [`${PREFIX}.>`], storage: "memory" }],
    retry: { maxDeliver: 5, initialDelayMs: 50, maxDelayMs: 200 },
    ...extra,
  });
  return bus;
}

/** A subject the test stream captures. */
const eventSubject = (prefix: string) => `${PREFIX}.${uniqueName(prefix)}`;

type Handler = (data: unknown, ctx: MessageContext) => unknown;

/** A listener class for one subject (decorators take literals, so each test builds its own). */
function listenerFor(subject: string, queueGroup: string | undefined, handler: Handler, options?: ListenOptions) {
  @injectable()
  class Recorder {
    @Listen(subject, queueGroup, options)
    handle(data: unknown, ctx: MessageContext): unknown {
      return handler(data, ctx);
    }
  }
  return Recorder;
}

/** The durable consumer the bus made for `subject` (found by its filter, not by its naming scheme). */
async function consumerOf(subject: string): Promise<string> {
  for await (const info of jsm.consumers.list(STREAM)) {
    if (info.config.filter_subject === subject) return info.name;
  }
  throw new Error(`no consumer of stream ${STREAM} filters on ${subject}`);
}

/** Polls server state (an async probe) until it holds; loud timeout. */
async function eventually(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Nothing pending and nothing unacknowledged: the server will deliver nothing more on this consumer. */
async function settled(subject: string): Promise<void> {
  const name = await consumerOf(subject);
  let last = "";
  await eventually(
    async () => {
      const info = await jsm.consumers.info(STREAM, name);
      last = `num_pending ${info.num_pending}, num_ack_pending ${info.num_ack_pending}, num_redelivered ${info.num_redelivered}`;
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    WAIT_MS,
    `consumer ${name} to settle`,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (last: ${last})`);
  });
}

/** Watches dead-letter.<subject> with a plain core subscription (what arrives, as sent). */
async function watchDeadLetters(subject: string): Promise<Collector<{ data: Uint8Array; headers: Record<string, string> }>> {
  const collector = new Collector<{ data: Uint8Array; headers: Record<string, string> }>();
  raw!.subscribe(`dead-letter.${subject}`, {
    callback: (err, msg) => {
      if (err) return;
      const headers: Record<string, string> = {};
      for (const key of msg.headers?.keys() ?? []) headers[key] = msg.headers!.get(key);
      collector.push({ data: msg.data, headers });
    },
  });
  await raw!.flush();
  return collector;
}

/** How many messages the stream holds on exactly `subject`. */
async function storedCount(stream: string, subject: string): Promise<number> {
  const info = await jsm.streams.info(stream, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

async function lastDeadLetter(subject: string): Promise<StoredMsg> {
  const stored = await jsm.streams.getMessage(DEAD_LETTERS, { last_by_subj: `dead-letter.${subject}` });
  assert.ok(stored, `no dead letter stored for ${subject}`);
  return stored;
}


describe("jetstream: retries and dead letters", () => {
  test("a handler failing twice then succeeding is called 3 times (deliveryCount 1,2,3) with backoff gaps", { timeout: 30_000 }, async (t) => {
    const subject = eventSubject("retry");
    const retry = { maxDeliver: 5, initialDelayMs: 300, maxDelayMs: 5_000 };
    const calls = new Collector<{ deliveryCount: number; at: number; correlationId: string }>();
    const bus = await makeBus();
    await bus.listen([
      listenerFor(
        subject,
        undefined,
        (_data, ctx) => {
          calls.push({ deliveryCount: ctx.deliveryCount, at: performance.now(), correlationId: ctx.correlationId });
          if (ctx.deliveryCount < 3) throw new Error(`transient failure #${ctx.deliveryCount}`);
        },
        { retry },
      ),
    ]);
    const receipt = await bus.publish(subject, { order: 1 }); // published outside any context: no X-Correlation-Id

    await calls.waitForCount(3, WAIT_MS, "three deliveries");
    assert.deepEqual(
      calls.items.map((call) => call.correlationId),
      Array(3).fill(`${receipt.stream}:${receipt.seq}`),
      "a stored message without a correlation id keeps one id, derived from where it is stored, across its redeliveries",
    );
    await settled(subject);
    assert.deepEqual(calls.items.map((call) => call.deliveryCount), [1, 2, 3], "called exactly three times");
    const gaps = calls.items.slice(1).map((call, i) => call.at - calls.items[i]!.at);
    // Equal jitter: the delay after attempt n is in [d/2, d] with d = initialDelayMs * 2^(n-1).
    assert.ok(gaps[0]! >= retry.initialDelayMs / 2, `first retry after ${gaps[0]} ms, minimum ${retry.initialDelayMs / 2}`);
    assert.ok(gaps[1]! >= retry.initialDelayMs, `second retry after ${gaps[1]} ms, minimum ${retry.initialDelayMs}`);
    assert.equal(await storedCount(DEAD_LETTERS, `dead-letter.${subject}`), 0, "a message that finally succeeded is not dead-lettered");
    t.diagnostic(`gaps between deliveries: ${gaps.map((gap) => `${Math.round(gap)} ms`).join(", ")} (minimums ${retry.initialDelayMs / 2}, ${retry.initialDelayMs})`);
  });

  test("after maxDeliver failures: exactly one dead letter with the original bytes and headers, then nothing more", { timeout: 30_000 }, async () => {
    const subject = eventSubject("exhausted");
    // The listener's own retry wins over the bus's (maxDeliver 5).
    const retry = { maxDeliver: 3, initialDelayMs: 20, maxDelayMs: 50 };
    const calls = new Collector<number>();
    const deadLetters = await watchDeadLetters(subject);
    const bus = await makeBus();
    await bus.listen([
      listenerFor(
        subject,
        undefined,
        (_data, ctx) => {
          calls.push(ctx.deliveryCount);
          throw Object.assign(new Error("payment service down"), { code: "E_PAYMENT" });
        },
        { retry },
      ),
    ]);
    const payload = { order: 7, text: "héllo" };
    const receipt = await bus.publish(subject, payload, { headers: { "X-Trace-Id": "trace-7" } });

    const [dead] = await deadLetters.waitForCount(1, WAIT_MS, `a dead letter on dead-letter.${subject}`);
    await settled(subject);
    assert.deepEqual(calls.items, [1, 2, 3], "one call per allowed delivery, none after the dead letter");
    assert.equal(await storedCount(DEAD_LETTERS, `dead-letter.${subject}`), 1, "exactly one dead letter stored");
    assert.equal(deadLetters.length, 1);

    const stored = await lastDeadLetter(subject);
    assert.deepEqual([...stored.data], [...encoder.encode(JSON.stringify(payload))], "the dead letter carries the original bytes");
    assert.deepEqual([...dead!.data], [...stored.data]);
    const header = (name: string) => stored.header.get(name);
    assert.equal(header(DeadLetterHeaders.reason), "max-deliveries");
    assert.equal(header("Eb-Dead-Letter-Reason"), "max-deliveries");
    assert.equal(header("Eb-Error"), "payment service down");
    assert.equal(header(DeadLetterHeaders.errorCode), "E_PAYMENT");
    assert.equal(header("Eb-Listener"), "Recorder.handle");
    assert.equal(header("Eb-Original-Subject"), subject);
    assert.equal(header("Eb-Original-Stream"), STREAM);
    assert.equal(header("Eb-Original-Seq"), String(receipt.seq));
    assert.equal(header("Eb-Delivery-Count"), "3");
    assert.equal(header("X-Trace-Id"), "trace-7", "the original headers travel with the dead letter");
  });

  test("NonRetryableError: dead letter after a single delivery", { timeout: 30_000 }, async () => {
    const subject = eventSubject("non-retryable");
    const calls = new Collector<number>();
    const deadLetters = await watchDeadLetters(subject);
    const bus = await makeBus();
    await bus.listen([
      listenerFor(subject, undefined, (_data, ctx) => {
        calls.push(ctx.deliveryCount);
        throw new NonRetryableError("order 9 does not exist");
      }),
    ]);
    const receipt = await bus.publish(subject, { order: 9 });

    await deadLetters.waitForCount(1, WAIT_MS, `a dead letter on dead-letter.${subject}`);
    await settled(subject);
    assert.deepEqual(calls.items, [1], "never retried");
    assert.equal(await storedCount(DEAD_LETTERS, `dead-letter.${subject}`), 1);
    const stored = await lastDeadLetter(subject);
    assert.equal(stored.header.get("Eb-Dead-Letter-Reason"), "non-retryable");
    assert.equal(stored.header.get("Eb-Error-Code"), ErrorCodes.NON_RETRYABLE);
    assert.equal(stored.header.get("Eb-Delivery-Count"), "1");
    assert.equal(stored.header.get("Eb-Original-Seq"), String(receipt.seq));
  });

  test("undecodable bytes from a plain nats.js client: dead letter (undecodable), the handler is never called", { timeout: 30_000 }, async () => {
    const subject = eventSubject("poison");
    const handled = new Collector<unknown>();
    const deadLetters = await watchDeadLetters(subject);
    const bus = await makeBus();
    await bus.listen([listenerFor(subject, undefined, (data) => handled.push(data))]);

    const poison = encoder.encode("{not json");
    const ack = await js.publish(subject, poison);
    await js.publish(subject, encoder.encode(JSON.stringify({ ok: true })));

    await handled.waitForCount(1, WAIT_MS, "the valid message after the poison one");
    await deadLetters.waitForCount(1, WAIT_MS, `a dead letter on dead-letter.${subject}`);
    await settled(subject);
    assert.deepEqual(handled.items, [{ ok: true }], "the handler saw only the valid message");
    const stored = await lastDeadLetter(subject);
    assert.deepEqual([...stored.data], [...poison]);
    assert.equal(stored.header.get("Eb-Dead-Letter-Reason"), "undecodable");
    assert.equal(stored.header.get("Eb-Error-Code"), ErrorCodes.DECODE);
    assert.equal(stored.header.get("Eb-Original-Stream"), STREAM);
    assert.equal(stored.header.get("Eb-Original-Seq"), String(ack.seq));
    assert.equal(stored.header.get("Eb-Delivery-Count"), "1");
  });
});

describe("jetstream: publishing", () => {
  test("the same msgId twice: duplicate false then true, stored and handled once", { timeout: 30_000 }, async () => {
    const subject = eventSubject("dedupe");
    const handled = new Collector<{ n: number }>();
    const bus = await makeBus();
    await bus.listen([listenerFor(subject, undefined, (data) => handled.push(data as { n: number }))]);

    const msgId = uniqueName("order-42");
    const first = await bus.publish(subject, { n: 1 }, { msgId });
    const second = await bus.publish(subject, { n: 1 }, { msgId });
    const sentinel = await bus.publish(subject, { n: 2 });
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    assert.equal(first.stream, STREAM);
    assert.equal(sentinel.duplicate, false);

    // One consumer delivers in stream order: once the sentinel is handled, a second copy would have been too.
    await waitFor(() => handled.items.some((item) => item.n === 2), WAIT_MS, "the sentinel");
    await settled(subject);
    assert.deepEqual(handled.items, [{ n: 1 }, { n: 2 }], "the deduplicated message was handled once");
    assert.equal(await storedCount(STREAM, subject), 2, "stored once (plus the sentinel)");
  });

  test("publish to a subject no stream captures: EB_ERR_NO_STREAM naming the subject", { timeout: 30_000 }, async () => {
    const bus = await makeBus();
    const subject = `uncovered.${uniqueName("nowhere")}`;
    await assert.rejects(bus.publish(subject, { x: 1 }), isCode(ErrorCodes.NO_STREAM, `"${subject}"`, STREAM));
  });

  test("publishAll of 5,000 messages: 5,000 receipts in order, sequences strictly increasing", { timeout: 60_000 }, async (t) => {
    const subject = eventSubject("bulk");
    const count = 5_000;
    const bus = await makeBus();
    const started = performance.now();
    const receipts = await bus.publishAll(
      Array.from({ length: count }, (_, i) => ({ subject, data: { i } })),
      { maxInFlight: 256 },
    );
    const elapsedMs = performance.now() - started;

    assert.equal(receipts.length, count);
    for (const [i, receipt] of receipts.entries()) {
      assert.ok(receipt, `receipt #${i} missing`);
      assert.equal(receipt.stream, STREAM);
      assert.equal(receipt.duplicate, false);
      if (i > 0) assert.ok(receipt.seq! > receipts[i - 1]!.seq!, `seq #${i} (${receipt.seq}) not above #${i - 1} (${receipts[i - 1]!.seq})`);
    }
    assert.equal(await storedCount(STREAM, subject), count);
    t.diagnostic(`publishAll of ${count}: ${Math.round(elapsedMs)} ms (${Math.round((count / elapsedMs) * 1000)} msg/s)`);
  });
});

describe("jetstream: provisioning", () => {
  test("listen on a subject no stream captures: EB_ERR_NO_STREAM naming Class.method and the subject", { timeout: 30_000 }, async () => {
    const subject = `uncovered.${uniqueName("orphan")}`;
    @injectable()
    class UncoveredListener {
      @Listen(subject, "orphans")
      handle(): void {}
    }
    const bus = await makeBus();
    await assert.rejects(bus.listen([UncoveredListener]), isCode(ErrorCodes.NO_STREAM, "UncoveredListener.handle", `"${subject}"`));
    await assert.rejects(bus.provision([UncoveredListener]), isCode(ErrorCodes.NO_STREAM, "UncoveredListener.handle", `"${subject}"`));
  });

  test("durable: false on a subject a stream captures is refused (requests would get the PubAck)", { timeout: 30_000 }, async () => {
    const subject = eventSubject("captured-rpc");
    const bus = await makeBus();
    const Responder = listenerFor(subject, undefined, () => "pong", { durable: false });
    await assert.rejects(bus.listen([Responder]), isCode(ErrorCodes.INVALID_LISTENER, "Recorder.handle", STREAM));
  });

  test("provision: dryRun creates nothing, a second run reports only unchanged, a changed ackWaitMs is an update", { timeout: 30_000 }, async () => {
    const subject = eventSubject("provisioned");
    const group = uniqueName("provisioners");
    // Two declarations of one listener (same Class.method, subject and group): only ackWaitMs differs.
    const declare = (ackWaitMs: number) => {
      @injectable()
      class Provisioned {
        @Listen(subject, group, { ackWaitMs })
        handle(): void {}
      }
      return Provisioned;
    };
    const before = declare(30_000);
    const changed = declare(5_000);
    const bus = await makeBus();
    const consumerChanges = (changes: Awaited<ReturnType<EventBus["provision"]>>) => changes.filter((change) => change.kind === "consumer");

    const dry = await bus.provision([before], { dryRun: true });
    assert.deepEqual(consumerChanges(dry).map((change) => change.action), ["create"]);
    const name = consumerChanges(dry)[0]!.name.split("/")[1]!;
    assert.equal(consumerChanges(dry)[0]!.name, `${STREAM}/${name}`);
    await assert.rejects(jsm.consumers.info(STREAM, name), (err: unknown) => /not found/i.test(String(err)), "dryRun must not create the consumer");

    const created = await bus.provision([before]);
    assert.deepEqual(consumerChanges(created).map((change) => change.action), ["create"]);
    const info = await jsm.consumers.info(STREAM, name);
    assert.equal(info.config.filter_subject, subject);
    assert.equal(info.config.ack_wait, 30_000 * NS_PER_MS);

    const again = await bus.provision([before]);
    assert.deepEqual(
      again.filter((change) => change.action !== "unchanged"),
      [],
      `a second provision must change nothing: ${JSON.stringify(again)}`,
    );
    assert.ok(again.some((change) => change.kind === "consumer" && change.name === `${STREAM}/${name}`));

    const dryUpdate = await bus.provision([changed], { dryRun: true });
    assert.deepEqual(consumerChanges(dryUpdate).map((change) => change.action), ["update"]);
    assert.match(consumerChanges(dryUpdate)[0]!.detail, /ack_wait/);
    assert.equal((await jsm.consumers.info(STREAM, name)).config.ack_wait, 30_000 * NS_PER_MS, "dryRun must not update");

    const updated = await bus.provision([changed]);
    assert.deepEqual(consumerChanges(updated).map((change) => change.action), ["update"]);
    assert.equal((await jsm.consumers.info(STREAM, name)).config.ack_wait, 5_000 * NS_PER_MS);
    assert.deepEqual(consumerChanges(await bus.provision([changed])).map((change) => change.action), ["unchanged"]);
  });
});

describe("jetstream: consumption", () => {
  test("concurrency 5 with 50 slow messages: never more than 5 handlers at once in one process", { timeout: 30_000 }, async (t) => {
    const subject = eventSubject("bounded");
    const concurrency = 5;
    const count = 50;
    let running = 0;
    let maxRunning = 0;
    const done = new Collector<number>();
    const bus = await makeBus();
    await bus.publishAll(Array.from({ length: count }, (_, i) => ({ subject, data: { i } })));
    await bus.listen([
      listenerFor(
        subject,
        undefined,
        async (data) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await work(30); // simulated work
          running--;
          done.push((data as { i: number }).i);
        },
        { concurrency },
      ),
    ]);

    await done.waitForCount(count, WAIT_MS, `all ${count} messages`);
    await settled(subject);
    assert.ok(maxRunning <= concurrency, `${maxRunning} handlers ran at once, limit ${concurrency}`);
    assert.equal(maxRunning, concurrency, "the limit is also reached (the messages were all waiting)");
    assert.deepEqual([...done.items].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i), "each handled once");
    t.diagnostic(`max handlers at once: ${maxRunning} (limit ${concurrency})`);
  });

  test("a handler running longer than ackWait (2 s ackWait, 5 s handler) is not redelivered mid-way", { timeout: 30_000 }, async (t) => {
    const subject = eventSubject("long");
    const calls = new Collector<number>();
    const finished = new Collector<number>();
    const bus = await makeBus();
    await bus.listen([
      listenerFor(
        subject,
        undefined,
        async (_data, ctx) => {
          calls.push(ctx.deliveryCount);
          await work(5_000); // simulated long work: 2.5 × ackWait
          finished.push(ctx.deliveryCount);
        },
        { ackWaitMs: 2_000 },
      ),
    ]);
    const name = await consumerOf(subject);
    assert.equal((await jsm.consumers.info(STREAM, name)).config.ack_wait, 2_000 * NS_PER_MS, "the server would redeliver after 2 s without heartbeats");
    const started = performance.now();
    await bus.publish(subject, { job: "report" });

    await finished.waitForCount(1, WAIT_MS, "the long handler to finish");
    await settled(subject);
    assert.deepEqual(calls.items, [1], "called once, deliveryCount 1: no redelivery while it ran");
    const info = await jsm.consumers.info(STREAM, name);
    assert.equal(info.num_redelivered, 0);
    t.diagnostic(`handler finished ${Math.round(performance.now() - started)} ms after publish; calls ${JSON.stringify(calls.items)}`);
  });

  test("drain: waits for handlers in flight and acks them; messages not started go to the next bus", { timeout: 30_000 }, async (t) => {
    const subject = eventSubject("drain");
    const group = uniqueName("drainers");
    const count = 30;
    // Short, so a message the first bus received but could not give back comes again within the test.
    const ackWaitMs = 2_000;
    let phase: 1 | 2 = 1;
    const started: Array<{ phase: number; i: number }> = [];
    const finished: Array<{ phase: number; i: number; deliveryCount: number; at: number }> = [];
    const Worker = listenerFor(
      subject,
      group,
      async (data, ctx) => {
        const { i } = data as { i: number };
        const at = phase;
        started.push({ phase: at, i });
        const startedAt = performance.now();
        await work(200); // simulated work, so handlers are in flight when drain starts
        finished.push({ phase: at, i, deliveryCount: ctx.deliveryCount, at: startedAt });
      },
      { concurrency: 5, ackWaitMs },
    );
    const publisher = await makeBus();
    await publisher.publishAll(Array.from({ length: count }, (_, i) => ({ subject, data: { i } })));

    const first = await makeBus();
    await first.listen([Worker]);
    await waitFor(() => started.length >= 5, WAIT_MS, "five handlers in flight");
    const inFlightAtDrain = started.length - finished.length;
    await first.drain();
    const drainedAt = performance.now();
    const startedFirst = started.filter((entry) => entry.phase === 1).length;
    const finishedFirst = finished.filter((entry) => entry.phase === 1);
    assert.ok(inFlightAtDrain > 0, "handlers were in flight when drain started");
    assert.equal(finishedFirst.length, startedFirst, "drain resolved only after every started handler finished");
    assert.ok(startedFirst < count, "drain stopped taking new messages");

    phase = 2;
    const second = await makeBus();
    await second.listen([Worker]);
    const all = Array.from({ length: count }, (_, i) => i);
    await waitFor(() => new Set(finished.map((entry) => entry.i)).size === count, WAIT_MS, `all ${count} handled across both buses`).catch((err: Error) => {
      throw new Error(`${err.message}; first bus: ${finishedFirst.length}, total finished: ${finished.length}: ${JSON.stringify(finished)}`);
    });
    await second.drain();
    await settled(subject);

    const firstIds = new Set(finishedFirst.map((entry) => entry.i));
    const secondRun = finished.filter((entry) => entry.phase === 2);
    const secondIds = secondRun.map((entry) => entry.i);
    const again = secondIds.filter((i) => firstIds.has(i));
    assert.deepEqual(again, [], "messages the first bus handled (and acked on drain) did not come back");
    assert.deepEqual([...new Set(finished.map((entry) => entry.i))].sort((a, b) => a - b), all, "none lost");
    assert.equal(secondIds.length, new Set(secondIds).size, "none handled twice by the second bus");
    // Received by the first bus but not started: given back with nak at once; none may wait for
    // the server's ackWait (a message still on the wire when the pull subscription closed would).
    const redelivered = secondRun.filter((entry) => entry.deliveryCount > 1);
    const late = redelivered.filter((entry) => entry.at - drainedAt >= ackWaitMs / 2);
    assert.deepEqual(late.map((entry) => entry.i), [], "no message received during the drain waited for ackWait");
    t.diagnostic(
      `first bus: ${inFlightAtDrain} in flight at drain, ${finishedFirst.length} handled; second bus: ${secondIds.length} handled; ` +
        `${redelivered.length - late.length} given back by the first bus with nak at once, ${late.length} came back only after ackWait (${ackWaitMs} ms)`,
    );
  });
});
