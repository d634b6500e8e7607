import "reflect-metadata";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { injectable } from "tsyringe";
import { z } from "zod";
import { ErrorCodes, Listen, NonRetryableError, defineEvent, type MessageContext } from "../../src/index.js";
import { createTestBus } from "../../src/testing/index.js";
import { errorWithCode } from "../helpers/assertions.js";
import { testBuses } from "../helpers/test-buses.js";
import { uniqueName } from "../helpers/unique.js";

const testBus = testBuses("testing");

/** A listener class on its own subject whose handler the test supplies. */
function listener(subject: string, handle: (data: unknown) => unknown, options: { queueGroup?: string; concurrency?: number; maxDeliver?: number } = {}) {
  @injectable()
  class Handler {
    @Listen(subject, options.queueGroup, { concurrency: options.concurrency, retry: options.maxDeliver ? { maxDeliver: options.maxDeliver } : undefined })
    handle(data: unknown): unknown {
      return handle(data);
    }
  }
  return Handler;
}

describe("createTestBus: durable semantics in memory, on a test clock", () => {
  test("fails twice, then succeeds: each retry waits for its backoff delay on the clock", async () => {
    const subject = uniqueName("flaky");
    let calls = 0;
    const bus = await testBus({ retry: { maxDeliver: 5, initialDelayMs: 1_000, maxDelayMs: 60_000 } });
    await bus.listen([listener(subject, () => {
      if (++calls <= 2) throw new Error(`attempt ${calls} failed`);
    })]);

    await bus.bus.publish(subject, { n: 1 });
    await bus.settled();
    const [first] = bus.deliveries();
    assert.equal(first!.outcome, "retry");
    assert.equal(first!.reason, "handler-error");
    assert.match(String(first!.error), /attempt 1 failed/);
    // Equal jitter: between half and all of initialDelayMs.
    assert.ok(first!.retryInMs! >= 500 && first!.retryInMs! <= 1_000, `first retry in ${first!.retryInMs} ms`);

    await bus.advance(first!.retryInMs! - 1);
    assert.equal(calls, 1, "nothing is redelivered before the delay has passed");
    await bus.advance(1);
    assert.equal(calls, 2, "redelivered once the clock reached the delay");
    const second = bus.deliveries()[1]!;
    assert.ok(second.retryInMs! >= 1_000 && second.retryInMs! <= 2_000, `second retry doubles: ${second.retryInMs} ms`);

    await bus.advanceUntilIdle();
    assert.deepEqual(bus.deliveries().map((d) => [d.deliveryCount, d.outcome]), [[1, "retry"], [2, "retry"], [3, "handled"]]);
    assert.deepEqual(bus.deadLetters(), []);
  });

  test("maxDeliver reached: dead-lettered with its reason, listed like the real ones, and replayable", async () => {
    const subject = uniqueName("orders");
    let failing = true;
    const handled: unknown[] = [];
    const bus = await testBus({ retry: { maxDeliver: 5, initialDelayMs: 100, maxDelayMs: 1_000 } });
    await bus.listen([listener(subject, (data) => {
      if (failing) throw Object.assign(new Error("warehouse down"), { code: "E_WAREHOUSE" });
      handled.push(data);
    })]);

    const started = bus.clock.now();
    await bus.bus.publish(subject, { id: "o-1" }, { headers: { "X-Tenant": "acme" } });
    await bus.advanceUntilIdle();

    const outcomes = bus.deliveries().map((d) => d.outcome);
    assert.deepEqual(outcomes, ["retry", "retry", "retry", "retry", "dead-lettered"]);
    assert.equal(bus.deliveries().at(-1)!.reason, "max-deliveries");
    const waited = bus.clock.now() - started;
    assert.ok(waited >= 50 + 100 + 200 + 400 && waited <= 100 + 200 + 400 + 800, `four backoff delays on the clock, ${waited} ms`);
    const [letter, ...more] = bus.deadLetters();
    assert.equal(more.length, 0);
    assert.equal(letter!.originalSubject, subject);
    assert.equal(letter!.reason, "max-deliveries");
    assert.equal(letter!.deliveryCount, "5");
    assert.equal(letter!.error, "warehouse down");
    assert.equal(letter!.headers["Eb-Error-Code"], "E_WAREHOUSE");
    assert.equal(letter!.headers["X-Tenant"], "acme");
    assert.deepEqual(JSON.parse(new TextDecoder().decode(letter!.data)), { id: "o-1" });

    failing = false;
    await bus.replayDeadLetters([letter!.seq]);
    await bus.settled();
    assert.deepEqual(handled, [{ id: "o-1" }], "the replayed message is handled");
    assert.deepEqual(bus.deadLetters(), [], "a replayed dead letter is removed");
    await assert.rejects(bus.replayDeadLetters([letter!.seq]), errorWithCode(ErrorCodes.CONFIG));
  });

  test("NonRetryableError dead-letters at once; a listener's own maxDeliver overrides the bus's", async () => {
    const hopeless = uniqueName("hopeless");
    const once = uniqueName("once");
    const bus = await testBus();
    await bus.listen([
      listener(hopeless, () => {
        throw new NonRetryableError("sku does not exist");
      }),
      listener(once, () => {
        throw new Error("no");
      }, { maxDeliver: 1 }),
    ]);
    await bus.bus.publish(hopeless, {});
    await bus.bus.publish(once, {});
    await bus.settled();
    assert.deepEqual(bus.deliveries({ subject: hopeless }).map((d) => [d.outcome, d.reason]), [["dead-lettered", "non-retryable"]]);
    assert.deepEqual(bus.deliveries({ subject: once }).map((d) => [d.outcome, d.reason]), [["dead-lettered", "max-deliveries"]]);
    assert.equal(bus.clock.pendingTimers, 0, "no retry scheduled");
  });

  test("msgId: a repeat within the stream's dedupe window is not stored again; after the window it is", async () => {
    const subject = uniqueName("dedupe");
    const seen: unknown[] = [];
    const bus = await testBus({ streams: [{ name: "ORDERS", subjects: [`${subject}.>`], duplicateWindowMs: 60_000 }] });
    await bus.listen([listener(`${subject}.>`, (data) => seen.push(data))]);

    const first = await bus.bus.publish(`${subject}.created`, { v: 1 }, { msgId: "order-1" });
    const repeat = await bus.bus.publish(`${subject}.created`, { v: 2 }, { msgId: "order-1" });
    assert.deepEqual(first, { duplicate: false, stream: "ORDERS", seq: 1 });
    assert.deepEqual(repeat, { duplicate: true, stream: "ORDERS", seq: 1 });
    await bus.advance(60_000);
    const later = await bus.bus.publish(`${subject}.created`, { v: 3 }, { msgId: "order-1" });
    assert.deepEqual(later, { duplicate: false, stream: "ORDERS", seq: 2 });
    await bus.settled();
    assert.deepEqual(seen, [{ v: 1 }, { v: 3 }]);
    assert.deepEqual(bus.published().map((m) => [m.msgId, m.duplicate, m.data]), [["order-1", false, { v: 1 }], ["order-1", true, { v: 2 }], ["order-1", false, { v: 3 }]]);
    await assert.rejects(bus.bus.publish(uniqueName("uncaptured"), {}), errorWithCode(ErrorCodes.NO_STREAM), "configured streams are honoured");
    // What provisioning refuses on JetStream, listen() refuses here, before anything subscribes.
    await assert.rejects(bus.listen([listener(uniqueName("uncaptured"), () => undefined)]), errorWithCode(ErrorCodes.NO_STREAM));
    @injectable()
    class Responder {
      @Listen(`${subject}.quote`, undefined, { durable: false })
      quote(): string {
        return "captured by ORDERS";
      }
    }
    await assert.rejects(bus.listen([Responder]), errorWithCode(ErrorCodes.INVALID_LISTENER, "durable: false", "ORDERS"));
  });

  test("per-listener concurrency bounds the handlers running at once", async () => {
    const subject = uniqueName("bounded");
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const bus = await testBus();
    await bus.listen([listener(subject, async () => {
      peak = Math.max(peak, ++running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
    }, { concurrency: 2 })]);
    for (let i = 0; i < 6; i++) await bus.bus.publish(subject, { i });
    await assert.rejects(bus.settled({ timeoutMs: 200 }), (err: unknown) => {
      assert.ok(errorWithCode(ErrorCodes.NOT_SETTLED)(err));
      assert.match((err as Error).message, new RegExp(`message EVENTS#1 on "${subject}"`), "names what is still running");
      return true;
    });
    assert.equal(running, 2);
    assert.deepEqual(bus.deliveries().map((d) => d.outcome), ["running", "running"], "handlers still running are listed as such");
    while (bus.deliveries().filter((d) => d.outcome === "handled").length < 6) {
      releases.splice(0).forEach((release) => release());
      await new Promise((resolve) => setImmediate(resolve));
    }
    await bus.settled();
    assert.equal(peak, 2);
  });

  test("queue groups: members on two buses of one store share the messages; another group gets them all", async () => {
    const subject = uniqueName("shared");
    const byMember: Array<[number, number]> = [];
    const audit: number[] = [];
    let members = 0;
    @injectable()
    class Worker {
      readonly member = ++members;
      @Listen(subject, "workers")
      handle(data: { i: number }): void {
        byMember.push([this.member, data.i]);
      }
    }
    const first = await testBus();
    const second = await testBus({ sharing: first });
    await first.listen([Worker, listener(subject, (data) => audit.push((data as { i: number }).i), { queueGroup: "audit" })]);
    await second.listen([Worker]);
    for (let i = 0; i < 20; i++) await first.bus.publish(subject, { i });
    await first.settled();

    assert.deepEqual(byMember.map(([, i]) => i).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i), "each handled once in the group");
    assert.equal(new Set(byMember.map(([member]) => member)).size, 2, "both members got some");
    assert.equal(audit.length, 20, "the other group got every message");
  });

  test("exclusive listeners: one member of the group gets every message, one at a time and in order (a retry keeps its place); the next member takes over when it closes", async () => {
    const subject = uniqueName("exclusive");
    const handled: Array<[number, number]> = [];
    let members = 0;
    let failOnce = true;
    @injectable()
    class Ledger {
      readonly member = ++members;
      @Listen(subject, "ledger", { exclusive: true })
      post(data: { i: number }): void {
        if (data.i === 3 && failOnce) {
          failOnce = false;
          throw new Error("transient");
        }
        handled.push([this.member, data.i]);
      }
    }
    const first = await testBus();
    const second = await testBus({ sharing: first });
    await first.listen([Ledger]);
    await second.listen([Ledger]);
    for (let i = 0; i < 6; i++) await first.bus.publish(subject, { i });
    await first.advanceUntilIdle();
    assert.deepEqual(handled, [0, 1, 2, 3, 4, 5].map((i) => [1, i]), "the first member only, in order: 4 and 5 waited for the retry of 3");

    await first.close();
    await second.bus.publish(subject, { i: 6 });
    await second.settled();
    assert.deepEqual(handled.at(-1), [2, 6], "the second member took over");
  });

  test("published(): subject, decoded data (contract dates revived), headers and msgId", async () => {
    const Shipped = defineEvent(uniqueName("shipped"), z.object({ id: z.string(), at: z.date() }), { dates: ["at"] });
    const bus = await testBus();
    const at = new Date("2026-01-02T03:04:05.000Z");
    await bus.bus.publish(Shipped, { id: "s-1", at }, { msgId: "s-1", headers: { "X-Tenant": "acme" } });
    const [message, ...rest] = bus.published(Shipped);
    assert.equal(rest.length, 0);
    assert.deepEqual(message!.data, { id: "s-1", at });
    assert.equal(message!.msgId, "s-1");
    assert.equal(message!.headers["X-Tenant"], "acme");
    assert.equal(message!.stream, "EVENTS", "without configured streams one stream captures everything");
    assert.deepEqual(bus.published("nothing.here"), []);
  });

  test("request-reply and durable: false listeners run on the test bus; settled() waits for them", async () => {
    const subject = uniqueName("quote");
    const bus = await testBus();
    @injectable()
    class Quotes {
      @Listen(subject, "quoters", { durable: false })
      quote(data: { sku: string }): { sku: string; price: number } {
        return { sku: data.sku, price: 12.5 };
      }
    }
    await bus.listen([Quotes]);
    assert.deepEqual(await bus.bus.request(subject, { sku: "a" }), { sku: "a", price: 12.5 });
    await bus.settled();
    assert.deepEqual(bus.deliveries().map((d) => d.outcome), ["handled"]);
  });

  test("a bus closed mid-handler: the unsettled message comes back to the next member after ackWait", async () => {
    const subject = uniqueName("crash");
    const deliveries: number[] = [];
    let release!: () => void;
    @injectable()
    class Crashy {
      @Listen(subject)
      async handle(_data: unknown, ctx: MessageContext): Promise<void> {
        deliveries.push(ctx.deliveryCount);
        // The first process "dies" (close, no drain) while handling it.
        if (deliveries.length === 1) await new Promise<void>((resolve) => (release = resolve));
      }
    }
    const first = await testBus({ ackWaitMs: 30_000 });
    await first.listen([Crashy]);
    await first.bus.publish(subject, {});
    while (deliveries.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const second = await testBus({ sharing: first });
    await first.close();
    await second.listen([Crashy]);
    release(); // its ack comes from a closed connection: it does not count
    await second.settled();
    assert.deepEqual(deliveries, [1], "not redelivered before ackWait");
    await second.advance(30_000);
    assert.deepEqual(deliveries, [1, 2], "redelivered to the next member after ackWait");
  });

  test("the kit is a subpath only: the main entry point exports none of it", async () => {
    const main = await import("../../src/index.js");
    for (const name of ["createTestBus", "TestBus", "TestClock", "startNatsServer", "DurableMemoryTransport", "MemoryStreamStore"]) {
      assert.equal(name in main, false, `${name} must not be exported from "express-nats-events"`);
    }
  });

  test("createTestBus refuses a bus that is already connected", async () => {
    const bus = await testBus();
    await assert.rejects(createTestBus({ bus: bus.bus }), errorWithCode(ErrorCodes.CONFIG));
  });
});
