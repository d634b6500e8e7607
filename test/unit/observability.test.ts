/**
 * The observability seam without a server: observers cannot change outcomes, labels stay
 * bounded, context headers are added only when there is a context, health reports a
 * subscription the transport ended, and metrics cost nothing when turned off. (The
 * behaviour over real NATS is in test/e2e/metrics.test.ts, health.test.ts and the
 * trace integration tests.)
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Registry } from "prom-client";
import { injectable } from "tsyringe";
import {
  EventBus,
  healthHandler,
  Listen,
  MemoryTransport,
  runWithEventContext,
  type BusObserver,
  type Delivery,
  type DeliveryOutcome,
  createLogger,
  type Logger,
  type Subscription,
  type SubscriptionSpec,
} from "../../src/index.js";
import { outgoingHeaders, contextFromHeaders } from "../../src/context/event-context.js";
import { ObserverSet } from "../../src/observability/observer-set.js";
import { createSubjectLabeler } from "../../src/observability/subject-label.js";
import { Collector, uniqueName } from "../helpers/unique.js";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const SUBJECT = `${uniqueName("unit-obs")}.thing`;
const handled = new Collector<string>();

@injectable()
class ThingListener {
  @Listen(SUBJECT)
  onThing(data: { id: string; fail?: boolean }): string {
    if (data.fail) throw new Error("thing failed");
    handled.push(data.id);
    return data.id;
  }
}

const HELD_SUBJECT = `${uniqueName("unit-obs")}.held`;
const heldStarted = new Collector<string>();
let releaseHeld: () => void = () => undefined;
const heldGate = () => new Promise<void>((resolve) => (releaseHeld = resolve));
let gate = heldGate();

@injectable()
class HeldListener {
  @Listen(HELD_SUBJECT)
  async onHeld(data: { id: string }): Promise<void> {
    heldStarted.push(data.id);
    await gate;
  }
}

let cwd: string;
before(async () => (cwd = await mkdtemp(path.join(os.tmpdir(), "nats-events-obs-"))));
after(async () => rm(cwd, { recursive: true, force: true }));

describe("ObserverSet: observers see outcomes and cannot change them", () => {
  const listener = { id: "L.m", subject: "a.b", queueGroup: undefined, running: 0, handled: 0 };
  const delivery = {} as Delivery;

  test("a wrapper that never calls run, one that returns another value, and one that throws: the operation runs once and its own result stands", async () => {
    let runs = 0;
    const observers = new ObserverSet([
      { wrapHandler: () => Promise.resolve("replaced") as never },
      { wrapHandler: () => { throw new Error("observer bug"); } },
      { wrapHandler: <T>(_l: unknown, _d: unknown, run: () => Promise<T>) => run().then(() => "also replaced" as never) },
    ]);
    const result = await observers.handle(listener, delivery, async () => {
      runs++;
      return "the handler's value";
    });
    assert.equal(result, "the handler's value");
    assert.equal(runs, 1);
  });

  test("a failure stays a failure, whatever a wrapper does with it", async () => {
    const observers = new ObserverSet([{ wrapHandler: <T>(_l: unknown, _d: unknown, run: () => Promise<T>) => run().catch(() => "swallowed" as never) }]);
    await assert.rejects(observers.handle(listener, delivery, async () => Promise.reject(new Error("handler error"))), /handler error/);
  });

  test("throwing observers do not stop the others, nor the publish", async () => {
    const seen: string[] = [];
    const observers = new ObserverSet([
      { published: () => { throw new Error("bug"); }, outcome: () => { throw new Error("bug"); }, lifecycle: () => { throw new Error("bug"); } },
      { published: (subject) => seen.push(`published ${subject}`), outcome: (_l, _d, o: DeliveryOutcome) => seen.push(o.kind), lifecycle: (e) => seen.push(e.type) },
    ]);
    assert.equal(await observers.publish("x.y", async () => "receipt"), "receipt");
    observers.outcome(listener, delivery, { kind: "handled" });
    observers.lifecycle({ type: "draining", transport: "memory" });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen.sort(), ["draining", "handled", "published x.y"]);
  });

  test("an observer that counts handled messages itself is told every other outcome, but not each handled one", () => {
    const counting: string[] = [];
    const told: string[] = [];
    const observers = new ObserverSet([
      { countsHandled: true, outcome: (_l, _d, o: DeliveryOutcome) => counting.push(o.kind) },
      { outcome: (_l, _d, o: DeliveryOutcome) => told.push(o.kind) },
    ]);
    observers.outcome(listener, delivery, { kind: "handled" });
    observers.outcome(listener, delivery, { kind: "ack-failed", error: new Error("no ack") });
    observers.outcome(listener, delivery, { kind: "failed", reason: "handler-error", error: new Error("boom"), code: "E", next: "retry" });
    assert.deepEqual(counting, ["ack-failed", "failed"]);
    assert.deepEqual(told, ["handled", "ack-failed", "failed"]);
  });

  test("nothing observes publishes: the publish path skips the set entirely", () => {
    assert.equal(new ObserverSet([{ lifecycle() {} }]).observesPublish, false);
    assert.equal(new ObserverSet([{ published() {} }]).observesPublish, true);
  });
});

describe("subject labels stay bounded", () => {
  test("the most specific known pattern wins; unknown subjects fall back to their first token", () => {
    const label = createSubjectLabeler(["order.>", "order.*.shipped", "order.created"]);
    assert.equal(label("order.created"), "order.created");
    assert.equal(label("order.4711.shipped"), "order.*.shipped");
    assert.equal(label("order.4711.cancelled"), "order.>");
    assert.equal(label("user.42.signup"), "user.>");
    assert.equal(label("ping"), "ping");
  });

  test("100 000 subjects with ids give one label", () => {
    const label = createSubjectLabeler([]);
    const labels = new Set(Array.from({ length: 100_000 }, (_, i) => label(`invoice.${i}.paid`)));
    assert.deepEqual([...labels], ["invoice.>"]);
  });
});

describe("context headers", () => {
  test("no context and no span: the caller's headers object is passed through as it is (no copy)", () => {
    const headers = { a: "1" };
    assert.equal(outgoingHeaders(headers), headers);
    assert.equal(outgoingHeaders(undefined), undefined);
  });

  test("inside a context: correlation id and traceparent are added; headers the caller set win", () => {
    const context = contextFromHeaders({ "x-correlation-id": "corr-1", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    runWithEventContext(context, () => {
      assert.deepEqual(outgoingHeaders(undefined), { "X-Correlation-Id": "corr-1", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
      assert.equal(outgoingHeaders({ "X-Correlation-Id": "mine" })!["X-Correlation-Id"], "mine");
    });
  });

  test("unusable incoming values are replaced (correlation id) or dropped (traceparent)", () => {
    const context = contextFromHeaders({ "X-Correlation-Id": "has spaces in it", traceparent: "00-00000000000000000000000000000000-b7ad6b7169203331-01" });
    assert.match(context.correlationId, /^[0-9a-f-]{36}$/);
    assert.equal(context.traceparent, undefined);
  });
});

describe("health reports what the transport says about subscriptions", () => {
  test("a subscription the server ended makes the bus not ready (healthHandler 503), naming the listener", async () => {
    let endSubscription!: (error: Error) => void;
    class EndingTransport extends MemoryTransport {
      override async subscribe(spec: SubscriptionSpec, deliver: (delivery: Delivery) => Promise<void>): Promise<Subscription> {
        const inner = await super.subscribe(spec, deliver);
        return { drain: () => inner.drain(), closed: new Promise((resolve) => (endSubscription = resolve)) };
      }
    }
    const bus = new EventBus();
    await bus.connect({ transportInstance: new EndingTransport(), env: {}, cwd, logger: silent, metrics: false });
    try {
      await bus.listen([ThingListener]);
      assert.equal(bus.health().ready, true);
      endSubscription(new Error("Permissions Violation for Subscription"));
      await new Promise((resolve) => setImmediate(resolve));
      const health = bus.health();
      assert.equal(health.ready, false);
      assert.equal(health.status, "connected", "still connected: only the subscription died");
      assert.deepEqual(health.listeners, [{ listener: "ThingListener.onThing", subject: SUBJECT, queueGroup: undefined, active: false, error: "Permissions Violation for Subscription" }]);

      let status = 0;
      let body = "";
      healthHandler(bus)({} as never, { set statusCode(code: number) { status = code; }, setHeader() {}, end(text: string) { body = text; } } as never);
      assert.equal(status, 503);
      assert.equal((JSON.parse(body) as { status: string }).status, "unavailable");
    } finally {
      await bus.close();
    }
  });
});

describe("metrics option", () => {
  test("metrics: false registers nothing; metrics on counts into the given registry", async () => {
    const off = new Registry();
    const quiet = new EventBus();
    await quiet.connect({ transport: "memory", env: {}, cwd, logger: silent, metrics: false, metricsRegistry: off });
    await quiet.listen([ThingListener]);
    await quiet.publish(SUBJECT, { id: "off" });
    await handled.waitForCount(1, 5_000, "the message with metrics off");
    assert.deepEqual(off.getMetricsAsArray(), []);
    await quiet.drain();

    const on = new Registry();
    const counted = new EventBus();
    const observed: string[] = [];
    const extra: BusObserver = { outcome: (_l, _d, outcome) => observed.push(outcome.kind) };
    await counted.connect({ transport: "memory", env: {}, cwd, logger: silent, metricsRegistry: on, observers: [extra] });
    await counted.listen([ThingListener]);
    await counted.publish(SUBJECT, { id: "on" });
    await counted.publish(SUBJECT, { id: "fails", fail: true });
    await handled.waitForCount(2, 5_000, "the message with metrics on");
    await counted.drain();
    const text = await on.metrics();
    assert.match(text, new RegExp(`^nats_events_handled_total\\{subject="${SUBJECT}",listener="ThingListener.onThing"\\} 1$`, "m"));
    assert.match(text, new RegExp(`^nats_events_failed_total\\{subject="${SUBJECT}",listener="ThingListener.onThing",reason="handler-error"\\} 1$`, "m"));
    assert.match(text, new RegExp(`^nats_events_published_total\\{subject="${SUBJECT}"\\} 2$`, "m"));
    assert.deepEqual(observed, ["handled", "failed", "dead-lettered"], "user observers get the same outcomes");
  });

  test("the in-flight gauge counts the handler calls running at scrape time", async () => {
    const registry = new Registry();
    const bus = new EventBus();
    await bus.connect({ transport: "memory", env: {}, cwd, logger: silent, metricsRegistry: registry });
    await bus.listen([HeldListener]);
    const gauge = async () => {
      const line = (await registry.metrics()).split("\n").find((text) => text.startsWith(`nats_events_handlers_in_flight{subject="${HELD_SUBJECT}"`));
      return Number(line?.split(" ").at(-1));
    };
    assert.equal(await gauge(), 0, "the series exists at 0 before the first message");
    await bus.publish(HELD_SUBJECT, { id: "a" });
    await bus.publish(HELD_SUBJECT, { id: "b" });
    await heldStarted.waitForCount(2, 5_000, "both held handlers started");
    assert.equal(await gauge(), 2);
    releaseHeld();
    await bus.drain();
    assert.equal(await gauge(), 0);
    gate = heldGate();
  });
});

describe("logs a person can act on", () => {
  test("handled lines follow pino's level as it is set at runtime; a closed bus stops following the logger", async () => {
    const lines: string[] = [];
    const logger = createLogger("info", { destination: { write: (line: string) => void lines.push((JSON.parse(line) as { msg: string }).msg) } });
    const pinoLogger = logger as unknown as { level: string; listenerCount(event: string): number };
    const bus = new EventBus();
    await bus.connect({ transport: "memory", env: {}, cwd, metrics: false, logger });
    try {
      await bus.listen([ThingListener]);
      for (const [level, id] of [["info", "at-info"], ["debug", "at-debug"], ["info", "at-info-again"]] as const) {
        pinoLogger.level = level;
        const before = handled.length;
        await bus.publish(SUBJECT, { id });
        await handled.waitForCount(before + 1, 5_000, `the message published at ${level}`);
      }
      assert.deepEqual(handled.items.slice(-3), ["at-info", "at-debug", "at-info-again"]);
      assert.equal(lines.filter((msg) => msg === "handled").length, 1, 'one "handled" line: for the message published at debug');
      assert.equal(pinoLogger.listenerCount("level-change"), 1);
    } finally {
      await bus.close();
    }
    assert.equal(pinoLogger.listenerCount("level-change"), 0, "the closed bus no longer listens to the logger");
  });

  test("a logger that does not announce level changes is told of every handled message (it decides itself)", async () => {
    const debugLines: string[] = [];
    const logger: Logger = { ...silent, debug: (_fields, message) => void debugLines.push(message), isLevelEnabled: () => true };
    const bus = new EventBus();
    await bus.connect({ transport: "memory", env: {}, cwd, metrics: false, logger });
    try {
      await bus.listen([ThingListener]);
      const before = handled.length;
      await bus.publish(SUBJECT, { id: "custom-logger" });
      await handled.waitForCount(before + 1, 5_000, "the message");
      assert.deepEqual(debugLines, ["handled"]);
    } finally {
      await bus.close();
    }
  });

  test("a handler failure's line carries the error's stack through pino's error serializer", async () => {
    const failed = new Collector<Record<string, unknown>>();
    const destination = {
      write(line: string) {
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record.msg === "handler failed") failed.push(record);
      },
    };
    const bus = new EventBus();
    await bus.connect({ transport: "memory", env: {}, cwd, metrics: false, logger: createLogger("info", { destination }) });
    try {
      await bus.listen([ThingListener]);
      await bus.publish(SUBJECT, { id: "with-stack", fail: true });
      const [line] = await failed.waitForCount(1, 5_000, 'the "handler failed" line');
      const err = line!.err as { type: string; message: string; stack: string };
      assert.equal(err.type, "Error");
      assert.equal(err.message, "thing failed");
      assert.match(err.stack, /^Error: thing failed\n\s+at ThingListener\.onThing /, "the first frame is the handler that threw");
      assert.equal(line!.error, "thing failed", "the message stays where log queries already look");
    } finally {
      await bus.close();
    }
  });
});
