// The example app's contracts (example-app/orders/order-events.ts) as a user runs it: the web
// server and a `nats-events register-listeners` process on JetStream. A message that another
// service publishes with the plain NATS client is read through the same contract: a valid one
// (placedAt as an ISO string) is handled, an invalid one is logged with its paths and
// dead-lettered by both listeners, and never mailed or counted.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { EXAMPLE_DIR, EXAMPLE_SERVER, LogLevels, ProcessGroup, fetchJson, type TestProcess } from "../helpers/processes.js";

const group = new ProcessGroup();
const encoder = new TextEncoder();
let nats: NatsServer | undefined;
let raw: NatsConnection | undefined;
let listener: TestProcess;
let base: string;

before(async () => {
  nats = await startNatsServer();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const web = group.spawn(process.execPath, [EXAMPLE_SERVER], { name: "web", cwd: EXAMPLE_DIR, env: { NATS_URL: nats.url, PORT: String(port) }, ipc: true });
  listener = group.cli(["register-listeners"], { name: "listeners", cwd: EXAMPLE_DIR, env: { NATS_URL: nats.url }, ipc: true });
  await Promise.all([web.waitForReady(), listener.waitForReady()]);
  raw = await connect({ servers: nats.url, name: "another-service" });
});

after(async () => {
  await raw?.close();
  await group.killAll();
  await nats?.stop();
});

describe("example app: typed contracts across processes", () => {
  test("POST /orders with an invalid body is a 400 naming the failing fields (the contract's request schema)", async () => {
    const { status, body } = await fetchJson(`${base}/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sku: "BOOK-1", quantity: 0, email: "nope" }) });
    assert.equal(status, 400);
    assert.equal(body.error, "INVALID_ORDER");
    assert.match(String(body.message), /quantity: .*; email: /);
  });

  test("another service's order.created (plain JSON, placedAt as an ISO string) is handled; an invalid one is logged with its paths, dead-lettered, never handled", async (t) => {
    const js = jetstream(raw!);
    const valid = { id: randomUUID(), sku: "TEE-3", quantity: 2, email: "cy@example.com", placedAt: "2024-05-01T12:30:00Z" };
    const invalidId = "not-a-uuid";
    const invalid = { id: invalidId, sku: "TEE-3", quantity: "2", email: "cy@example.com", placedAt: "noon" };
    await js.publish("order.created", encoder.encode(JSON.stringify(invalid)));
    await js.publish("order.created", encoder.encode(JSON.stringify(valid)));

    // Each of the two listeners (emails, order-counter) rejects the invalid message once.
    await listener.waitUntil(() => listener.logs("message rejected: invalid payload").length >= 2, 15_000, "two rejections of the invalid order");
    const rejections = listener.logs("message rejected: invalid payload");
    assert.deepEqual(rejections.map((line) => line.listener).sort(), ["OrderCounterListener.onOrderCreated", "OrderEmailListener.onOrderCreated"]);
    for (const line of rejections) {
      assert.equal(line.level, LogLevels.warn);
      assert.equal(line.code, "EB_ERR_VALIDATION");
      assert.equal(line.subject, "order.created");
      const paths = (line.issues as string[]).map((issue) => issue.split(":")[0]).sort();
      assert.deepEqual(paths, ["id", "placedAt", "quantity"], JSON.stringify(line.issues));
    }
    await listener.waitForLog("dead-lettered", 15_000, (line) => line.reason === "invalid");

    // The valid one is mailed and counted; the invalid one is not.
    await listener.waitForEvents("email.sent", 1, 15_000, (line) => String(line.subject).includes(valid.id));
    await listener.waitForEvents("order.counted", 1, 15_000, (line) => line.id === valid.id);
    assert.equal(listener.events("email.sent").filter((line) => String(line.subject).includes(invalidId)).length, 0);
    assert.equal(listener.events("order.counted").filter((line) => line.id === invalidId).length, 0);
    t.diagnostic(`invalid order rejected by ${rejections.length} listeners with issues ${JSON.stringify(rejections[0]!.issues)}`);
  });
});
