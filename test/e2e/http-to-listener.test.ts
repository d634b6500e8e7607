// HTTP → NATS → listener process, with the example app as a user runs it: the web
// server and one `nats-events register-listeners` process (listeners from the
// example's nats-events.config.js), both started as pm2 would (cwd example-app, IPC "ready").
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { EXAMPLE_DIR, EXAMPLE_SERVER, LogLevels, ProcessGroup, fetchJson, type TestProcess } from "../helpers/processes.js";

const group = new ProcessGroup();
let nats: NatsServer | undefined;
let web: TestProcess;
let listener: TestProcess;
let base: string;

before(async () => {
  nats = await startNatsServer(); // the example app runs on JetStream (example-app/nats-events.config.js)
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  web = group.spawn(process.execPath, [EXAMPLE_SERVER], { name: "web", cwd: EXAMPLE_DIR, env: { NATS_URL: nats.url, PORT: String(port) }, ipc: true });
  listener = group.cli(["register-listeners"], { name: "listeners", cwd: EXAMPLE_DIR, env: { NATS_URL: nats.url }, ipc: true });
  await Promise.all([web.waitForReady(), listener.waitForReady()]);
});

after(async () => {
  await group.killAll();
  await nats?.stop();
});

describe("example app: HTTP → listener process", () => {
  test("register-listeners logs a ready line after subscribing every listener of the config file", async () => {
    const ready = await listener.waitForLog("ready", 5_000, (line) => line.msg === "ready");
    assert.equal(ready.level, LogLevels.info);
    assert.equal(ready.pid, listener.pid);
    assert.equal(ready.listeners, 3);
    assert.equal(ready.name, "nats-events");
    for (const id of ["OrderEmailListener.onOrderCreated", "OrderCounterListener.onOrderCreated", "QuoteWorker.quote"]) {
      assert.ok(listener.logs("subscribed").some((line) => line.msg === "subscribed" && line.listener === id && line.level === LogLevels.info), `no "subscribed" line for ${id}`);
    }
    // The subscribed lines come before the ready line: one structured line per lifecycle step.
    const messages = listener.logs().map((line) => line.msg);
    assert.ok(messages.indexOf("connected") < messages.lastIndexOf("subscribed") && messages.lastIndexOf("subscribed") < messages.indexOf("ready"), messages.join(" | "));
  });

  test("GET /healthz is 200 with the bus connected", async () => {
    const { status, body } = await fetchJson(`${base}/healthz`);
    assert.equal(status, 200);
    assert.equal(body.status, "ok");
    assert.equal(body.bus, "connected");
  });

  test("POST /orders: the listener process mails and counts exactly that order, once", async (t) => {
    const payload = { sku: "BOOK-1", quantity: 3, email: "ada@example.com" };
    const correlationId = `e2e-order-${process.pid}-${Date.now()}`;
    const created = await fetchJson(`${base}/orders`, { method: "POST", headers: { "content-type": "application/json", "x-correlation-id": correlationId }, body: JSON.stringify(payload) });
    assert.equal(created.status, 202);
    const order = created.body as { id: string; sku: string; quantity: number; email: string };
    assert.match(order.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual({ ...order, id: undefined }, { ...payload, id: undefined });

    // An invalid order is refused by the route and never published.
    const invalid = await fetchJson(`${base}/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sku: "BOOK-1" }) });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error, "INVALID_ORDER");

    // A second order is the barrier: same publisher connection, same subscriber connection,
    // so once its lines are printed any duplicate of the first order would have been too.
    const barrier = await fetchJson(`${base}/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sku: "MUG-2", quantity: 1, email: "bob@example.com" }) });
    assert.equal(barrier.status, 202);
    const barrierId = barrier.body.id as string;
    await listener.waitForEvents("email.sent", 1, 10_000, (line) => String(line.subject).includes(barrierId));
    await listener.waitForEvents("order.counted", 1, 10_000, (line) => line.id === barrierId);

    const emails = listener.events("email.sent").filter((line) => String(line.subject).includes(order.id));
    const counted = listener.events("order.counted").filter((line) => line.id === order.id);
    assert.equal(emails.length, 1, `email.sent lines for ${order.id}: ${JSON.stringify(emails)}`);
    assert.equal(counted.length, 1, `order.counted lines for ${order.id}: ${JSON.stringify(counted)}`);
    assert.deepEqual(emails[0], { event: "email.sent", to: payload.email, subject: `Order ${order.id} confirmed (order.created)`, pid: listener.pid });
    // The request's X-Correlation-Id travelled in the event's headers into the listener's context.
    assert.deepEqual(counted[0], { event: "order.counted", id: order.id, ordersSeen: 1, unitsOrdered: payload.quantity, correlationId, pid: listener.pid });
    const barrierCounted = listener.events("order.counted").find((line) => line.id === barrierId)!;
    assert.match(String(barrierCounted.correlationId), /^[0-9a-f-]{36}$/, "a request without the header gets a new correlation id");
    assert.equal(listener.events("email.sent").length, 2, "only the two valid orders were mailed");
    assert.equal(listener.events("order.counted").length, 2, "only the two valid orders were counted");
    t.diagnostic(`order ${order.id}: email.sent and order.counted printed once each by pid ${listener.pid}, correlation id ${correlationId}`);
  });

  test("GET /metrics serves the bus's Prometheus metrics: the published orders are counted", async (t) => {
    const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    const text = await response.text();
    const published = text.split("\n").find((line) => line.startsWith('nats_events_published_total{subject="order.>"}'));
    assert.ok(published, `no published counter for order.> in:\n${text.slice(0, 2_000)}`);
    // The two valid orders of the test above (the invalid one was never published).
    assert.equal(Number(published.split(" ").at(-1)), 2, published);
    assert.match(text, /^nats_events_connection_status\{status="connected"\} 1$/m);
    t.diagnostic(published);
  });
});
