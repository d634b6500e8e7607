// Unit tests of the example's listeners, written with the testing kit: the real EventBus,
// @Listen and ListenerRunner on an in-memory store with JetStream's durable semantics,
// under the retry policy of example-app/nats-events.config.js, on a clock the test moves.
import "reflect-metadata";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, test } from "node:test";
import { container, type DependencyContainer } from "tsyringe";
import { createTestBus, type TestBus } from "express-nats-events/testing";
import { OrderCounterListener } from "../listeners/order-counter.listener.js";
import { OrderEmailListener } from "../listeners/email.listener.js";
import { Mailer } from "../notifications/mailer.js";
import { OrderCreated } from "../orders/order-events.js";
import { OrderStats } from "../orders/order-stats.js";
import { exampleConfigFile } from "./config.js";

/** Stands in for the SMTP client: fails the first `failures` sends. */
class FakeMailer {
  readonly sent: Array<{ to: string; subject: string }> = [];
  constructor(public failures = 0) {}
  async send(to: string, subject: string): Promise<void> {
    if (this.failures-- > 0) throw Object.assign(new Error("SMTP server unavailable"), { code: "E_SMTP" });
    this.sent.push({ to, subject });
  }
}

const order = (): OrderCreated => ({ id: randomUUID(), sku: "BOOK-1", quantity: 2, email: "ada@example.com", placedAt: new Date() });

describe("example listeners (testing kit)", () => {
  let scope: DependencyContainer;
  let mailer: FakeMailer;
  let stats: OrderStats;
  let testBus: TestBus;

  beforeEach(async () => {
    scope = container.createChildContainer();
    mailer = new FakeMailer();
    scope.registerInstance(Mailer, mailer as unknown as Mailer);
    stats = new OrderStats();
    scope.registerInstance(OrderStats, stats);
    testBus = await createTestBus({ configFile: exampleConfigFile, container: scope, metrics: false });
  });
  afterEach(() => testBus.close());

  test("the email listener retries a failing send with backoff, then succeeds", async () => {
    mailer.failures = 2;
    await testBus.listen([OrderEmailListener]);
    const created = order();
    await testBus.bus.publish(OrderCreated, created);

    await testBus.settled();
    const [first] = testBus.deliveries({ listener: OrderEmailListener });
    assert.equal(first!.outcome, "retry");
    // The config's policy: 1000 ms initial delay, with equal jitter.
    assert.ok(first!.retryInMs! >= 500 && first!.retryInMs! <= 1_000, `first retry in ${first!.retryInMs} ms`);
    assert.deepEqual(mailer.sent, [], "nothing sent before the retry is due");

    await testBus.advanceUntilIdle();
    assert.deepEqual(testBus.deliveries({ listener: OrderEmailListener }).map((d) => d.outcome), ["retry", "retry", "handled"]);
    assert.deepEqual(mailer.sent, [{ to: "ada@example.com", subject: `Order ${created.id} confirmed (order.created)` }]);
    assert.deepEqual(testBus.deadLetters(), []);
  });

  test("a send that keeps failing is dead-lettered after maxDeliver (5) attempts, and replays once the mailer is back", async () => {
    mailer.failures = Infinity;
    await testBus.listen([OrderEmailListener]);
    const created = order();
    await testBus.bus.publish(OrderCreated, created, { msgId: created.id });
    await testBus.advanceUntilIdle();

    const attempts = testBus.deliveries({ listener: OrderEmailListener });
    assert.deepEqual(attempts.map((d) => d.deliveryCount), [1, 2, 3, 4, 5]);
    assert.equal(attempts.at(-1)!.outcome, "dead-lettered");
    assert.equal(attempts.at(-1)!.reason, "max-deliveries");
    const [letter] = testBus.deadLetters();
    assert.equal(letter!.originalSubject, "order.created");
    assert.equal(letter!.listener, "OrderEmailListener.onOrderCreated");
    assert.equal(letter!.error, "SMTP server unavailable");
    assert.equal(letter!.headers["Eb-Original-Msg-Id"], created.id);

    mailer.failures = 0;
    await testBus.replayDeadLetters();
    await testBus.settled();
    assert.equal(mailer.sent.length, 1, "the replayed order is mailed");
    assert.deepEqual(testBus.deadLetters(), []);
  });

  test("the counter's queue group gets every order too, independently of the email group's failures", async () => {
    mailer.failures = Infinity;
    await testBus.listen([OrderEmailListener, OrderCounterListener]);
    for (let i = 0; i < 3; i++) await testBus.bus.publish(OrderCreated, order());
    await testBus.settled();
    assert.deepEqual(
      testBus.deliveries({ listener: OrderCounterListener }).map((d) => d.outcome),
      ["handled", "handled", "handled"],
    );
    // The counter's own instance saw the three orders (recording one more reports the totals).
    assert.deepEqual(stats.record(1), { ordersSeen: 4, unitsOrdered: 7 });
  });
});
