// Unit tests of the example's routes, written with the testing kit: the app's real Express
// routes and EventPublisher on the test bus (the EventBus tsyringe resolves, which route()
// and withPublisher() use), asserting what each request published.
import "reflect-metadata";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { createTestBus, type TestBus } from "express-nats-events/testing";
import { createApp } from "../app.js";
import { QuoteWorker } from "../listeners/quote.listener.js";
import { OrderCancelled, OrderCreated } from "../orders/order-events.js";
import { exampleConfigFile } from "./config.js";

describe("example routes (testing kit)", () => {
  let server: Server;
  let base: string;
  let testBus: TestBus;

  before(async () => {
    server = createApp().listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(async () => {
    testBus = await createTestBus({ configFile: exampleConfigFile, metrics: false });
  });
  afterEach(() => testBus.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  test("POST /orders publishes OrderCreated with the order, its id as msgId and the request's correlation id", async () => {
    const response = await post("/orders", { sku: "BOOK-1", quantity: 2, email: "ada@example.com" }, { "X-Correlation-Id": "req-42" });
    assert.equal(response.status, 202);
    const order = (await response.json()) as { id: string };

    const [published, ...more] = testBus.published(OrderCreated);
    assert.equal(more.length, 0);
    const data = published!.data as OrderCreated;
    assert.deepEqual({ ...data, placedAt: undefined }, { id: order.id, sku: "BOOK-1", quantity: 2, email: "ada@example.com", placedAt: undefined });
    assert.ok(data.placedAt instanceof Date, "the contract revives placedAt as a Date");
    assert.equal(published!.msgId, order.id);
    assert.equal(published!.headers["X-Correlation-Id"], "req-42");
    assert.equal(published!.stream, "ORDERS", "stored in the stream the config declares");
  });

  test("an invalid order is refused with 400 and publishes nothing", async () => {
    const response = await post("/orders", { sku: "", quantity: 0, email: "not-an-email" });
    assert.equal(response.status, 400);
    assert.deepEqual(testBus.published(), []);
  });

  test("POST /orders/bulk publishes one OrderCreated per order, each with its own msgId", async () => {
    const response = await post("/orders/bulk", { count: 25 });
    assert.equal(response.status, 202);
    assert.equal(((await response.json()) as { published: number }).published, 25);
    const published = testBus.published(OrderCreated);
    assert.equal(published.length, 25);
    assert.equal(new Set(published.map((message) => message.msgId)).size, 25);
    assert.ok(published.every((message) => !message.duplicate));
  });

  test("POST /orders/:id/cancel publishes OrderCancelled", async () => {
    const response = await post("/orders/o-7/cancel", {});
    assert.equal(response.status, 202);
    assert.deepEqual(testBus.published().map((message) => [message.subject, message.data]), [[OrderCancelled.subject, { id: "o-7" }]]);
  });

  test("GET /quote/:sku asks the quote workers: 200 with the reply, 404 for an unknown sku, 503 without workers", async () => {
    assert.equal((await fetch(`${base}/quote/BOOK-1`)).status, 503, "no worker listens yet");
    await testBus.listen([QuoteWorker]);
    const quote = (await (await fetch(`${base}/quote/BOOK-1`)).json()) as { unitPrice: number; currency: string };
    assert.equal(quote.unitPrice, 12.5);
    assert.equal(quote.currency, "EUR");
    const unknown = await fetch(`${base}/quote/NOPE-0`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: string }).error, "UNKNOWN_SKU");
    await testBus.settled();
    assert.deepEqual(testBus.deliveries({ listener: QuoteWorker }).map((d) => d.outcome), ["handled", "error-reply"]);
  });
});
