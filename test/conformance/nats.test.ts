import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { connect } from "@nats-io/transport-node";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connectWithRetry, EventBus, ErrorCodes, type BusStatus, type Logger } from "../../src/index.js";
import { NatsCoreTransport } from "../../src/transport/nats-core.js";
import { defaultOptions } from "../../src/bus/options.js";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { Collector, uniqueName, waitFor } from "../helpers/unique.js";
import { listenerClassFor, natsRawClient, runTransportConformance, silentLogger } from "./transport-suite.js";

runTransportConformance("nats (core)", async () => {
  const server = await startNatsServer();
  const cwd = await mkdtemp(path.join(os.tmpdir(), "nats-events-conformance-"));
  const features = new NatsCoreTransport({ ...defaultOptions, servers: [server.url] }).features;
  return {
    connectOptions: () => ({ transport: "nats", servers: [server.url], logger: silentLogger, env: {}, cwd }),
    features: { ...features, statusLifecycle: ["connecting", "connected", "closed"] },
    rawClient: () => natsRawClient(server.url),
    async teardown() {
      await server.stop();
      await rm(cwd, { recursive: true, force: true });
    },
  };
});

// Core-NATS behaviour the in-memory transport has no counterpart for.
describe("nats (core): connection lifecycle against a real server", () => {
  let cwd: string;
  before(async () => {
    cwd = await mkdtemp(path.join(os.tmpdir(), "nats-events-conformance-"));
  });
  after(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  test("connectWithRetry waits for a server that comes up later", { timeout: 30_000 }, async () => {
    const port = await freePort();
    const warnings = new Collector<{ fields: object; message: string }>();
    const logger: Logger = { ...silentLogger, warn: (fields, message) => warnings.push({ fields, message }) };
    const bus = new EventBus();
    let server: NatsServer | undefined;
    try {
      const connected = connectWithRetry(
        bus,
        { transport: "nats", servers: [`nats://127.0.0.1:${port}`], logger, env: {}, cwd, connectTimeoutMs: 500, reconnect: { maxAttempts: 0 } },
        { initialDelayMs: 20, maxDelayMs: 100 },
      );
      const [firstFailure] = await warnings.waitForCount(1, 10_000, "a failed first connection attempt");
      assert.equal((firstFailure!.fields as { code?: string }).code, ErrorCodes.CONNECT);
      assert.notEqual(bus.status, "connected");

      server = await startNatsServer({ port, jetstream: false });
      await waitFor(connected, 10_000, "connectWithRetry to connect once the server is up");
      assert.equal(bus.status, "connected");
      const subject = uniqueName("late");
      const received = new Collector<unknown>();
      const raw = await connect({ servers: server.url });
      raw.subscribe(subject, { callback: (_err, msg) => received.push(msg.json()) });
      await raw.flush();
      await bus.publish(subject, { hello: "late server" });
      assert.deepEqual(await received.waitForCount(1, 5_000, "the message published after the late connect"), [{ hello: "late server" }]);
      await raw.close();
    } finally {
      await bus.close();
      await server?.stop();
    }
  });

  test("a restarted server: status goes reconnecting → connected and listeners keep receiving", { timeout: 30_000 }, async () => {
    const server = await startNatsServer({ jetstream: false });
    const bus = new EventBus();
    try {
      const statuses = new Collector<BusStatus>();
      bus.onStatusChange(statuses.push);
      await bus.connect({
        transport: "nats",
        servers: [server.url],
        logger: silentLogger,
        env: {},
        cwd,
        reconnect: { maxAttempts: -1, waitMs: 50, jitterMs: 0 },
      });
      const subject = uniqueName("survivor");
      const received = new Collector<unknown>();
      await bus.listen([listenerClassFor(subject, received.push)]);

      await server.restart();
      await waitFor(() => statuses.items.includes("reconnecting"), 10_000, "the bus to notice the restart");
      await waitFor(() => statuses.items.at(-1) === "connected", 10_000, "the bus to reconnect");
      assert.deepEqual(statuses.items.slice(statuses.items.indexOf("reconnecting")), ["reconnecting", "connected"]);

      await bus.publish(subject, { after: "restart" });
      assert.deepEqual(await received.waitForCount(1, 5_000, "a message after the reconnect"), [{ after: "restart" }]);
    } finally {
      await bus.close();
      await server.stop();
    }
  });
});
