// The testing kit honours delayMs / at and ttlMs like JetStream does, on its TestClock: a delayed
// message waits in the store until the clock reaches its time (nothing real to wait for), a
// message with a TTL leaves its stream when the TTL has passed on the clock, and configured
// streams must allow them (allowSchedules / allowMessageTtl), as on a server.
import "reflect-metadata";
import assert from "node:assert/strict";
import { test } from "node:test";
import { injectable } from "tsyringe";
import { ErrorCodes, Listen, runWithEventContext } from "../../src/index.js";
import { errorWithCode } from "../helpers/assertions.js";
import { testBuses } from "../helpers/test-buses.js";
import { uniqueName } from "../helpers/unique.js";

const testBus = testBuses("timed");

function listener(subject: string, handle: (data: unknown) => unknown = () => undefined) {
  @injectable()
  class Handler {
    @Listen(subject, "timed")
    handle(data: unknown): unknown {
      return handle(data);
    }
  }
  return Handler;
}

test("delayMs: delivered once the test clock reaches its time, not a millisecond before, with its headers; a duplicate msgId schedules nothing", async () => {
  const subject = uniqueName("reminder");
  const bus = await testBus();
  await bus.listen([listener(subject)]);
  const publishedAt = bus.clock.now();
  await runWithEventContext({ correlationId: "corr-1" }, () => bus.bus.publish(subject, { n: 1 }, { delayMs: 60_000, msgId: "reminder-1" }));
  const again = await bus.bus.publish(subject, { n: 1 }, { delayMs: 60_000, msgId: "reminder-1" });
  assert.equal(again.duplicate, true);
  await bus.settled();
  assert.equal(bus.deliveries().length, 0, "not delivered at publish time");

  await bus.advance(59_999);
  assert.equal(bus.deliveries().length, 0, "not delivered a millisecond before its time");
  await bus.advance(1);
  const [delivery, ...more] = bus.deliveries();
  assert.equal(more.length, 0, "one delivery: the duplicate scheduled nothing");
  assert.deepEqual(delivery!.data, { n: 1 });
  assert.equal(delivery!.outcome, "handled");
  assert.equal(delivery!.headers["X-Correlation-Id"], "corr-1");
  assert.equal(delivery!.headers["Eb-Msg-Id"], "reminder-1", "like JetStream: the id travels in Eb-Msg-Id, not Nats-Msg-Id");
  assert.equal(delivery!.headers["Nats-Msg-Id"], undefined);
  const stored = bus.store.messages("EVENTS").find((message) => message.subject === subject);
  assert.equal(stored!.time.getTime(), publishedAt + 60_000, "stored for listeners at its time on the clock");
  assert.deepEqual(bus.published(subject).map((message) => [message.msgId, message.duplicate]), [["reminder-1", false], ["reminder-1", true]]);
});

test("at: a Date on the test clock; a time already past is delivered at once", async () => {
  const subject = uniqueName("at");
  const bus = await testBus();
  await bus.listen([listener(subject)]);
  await bus.bus.publish(subject, "later", { at: new Date(bus.clock.now() + 5_000) });
  await bus.bus.publish(subject, "past", { at: new Date(bus.clock.now() - 1) });
  await bus.settled();
  assert.deepEqual(bus.deliveries().map((d) => d.data), ["past"]);
  await bus.advanceUntilIdle();
  assert.deepEqual(bus.deliveries().map((d) => d.data), ["past", "later"]);
});

test("ttlMs: the message leaves the stream when its TTL has passed on the clock, handled or not: a retry due later finds nothing", async () => {
  const subject = uniqueName("short-lived");
  const bus = await testBus({ retry: { maxDeliver: 5, initialDelayMs: 10_000, maxDelayMs: 10_000 } });
  await bus.listen([listener(subject, () => {
    throw new Error("not yet");
  })]);
  await bus.bus.publish(subject, "soon gone", { ttlMs: 5_000 });
  await bus.settled();
  assert.equal(bus.deliveries()[0]!.outcome, "retry");
  assert.equal(bus.store.messages("EVENTS").filter((m) => m.subject === subject).length, 1);
  assert.equal(bus.store.messages("EVENTS").find((m) => m.subject === subject)!.headers["Nats-TTL"], "5s");
  await bus.advanceUntilIdle();
  assert.equal(bus.store.messages("EVENTS").filter((m) => m.subject === subject).length, 0, "gone from the stream");
  assert.equal(bus.deliveries().length, 1, "never delivered again, never dead-lettered");
  assert.equal(bus.deadLetters().length, 0);
});

test("configured streams must allow it: StreamFeatureError naming the stream and the option; allowed, it works", async () => {
  const prefix = uniqueName("orders");
  const bus = await testBus({ streams: [{ name: "ORDERS", subjects: [`${prefix}.>`] }, { name: "TIMED", subjects: [`${prefix}-timed.>`], allowSchedules: true, allowMessageTtl: true }] });
  await assert.rejects(bus.bus.publish(`${prefix}.created`, 1, { delayMs: 1_000 }), errorWithCode(ErrorCodes.STREAM_FEATURE, `stream "ORDERS"`, "allowSchedules: true"));
  await assert.rejects(bus.bus.publish(`${prefix}.created`, 1, { ttlMs: 1_000 }), errorWithCode(ErrorCodes.STREAM_FEATURE, `stream "ORDERS"`, "allowMessageTtl: true"));
  assert.equal(bus.published().length, 0, "nothing stored");
  await bus.listen([listener(`${prefix}-timed.due`)]);
  await bus.bus.publish(`${prefix}-timed.due`, 1, { delayMs: 1_000, ttlMs: 2_000 });
  await bus.advance(1_000);
  assert.equal(bus.deliveries().length, 1);
  assert.equal(bus.deliveries()[0]!.headers["Nats-TTL"], "2s", "the TTL counts from when it was due");
});

test("a listener on \">\" gets the delayed message when it is due, never the schedule it waited in", async () => {
  const subject = uniqueName("everything");
  const bus = await testBus();
  await bus.listen([listener(">")]);
  await bus.bus.publish(subject, 1, { delayMs: 1_000 });
  await bus.settled();
  assert.deepEqual(bus.deliveries(), []);
  await bus.advance(1_000);
  assert.deepEqual(bus.deliveries().map((d) => d.subject), [subject]);
});
