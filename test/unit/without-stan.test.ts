// node-nats-streaming is an optional peer dependency: importing the package and using the
// other transports must work without it, and the stan transport must say how to get it.
// A child process runs with a module-resolution hook that makes node-nats-streaming (and
// its nats 1.x client) impossible to find, as in a project that never installed it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { runWithoutPackages } from "../helpers/without-packages.js";

// Runs inside the package directory, importing it by its name like a user would.
const CHILD = `
const events = await import("express-nats-events");
const { EventBus, Listen } = events;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function roundTrip(transport, servers) {
  const subject = "without-stan." + transport + "." + process.pid;
  let resolveSeen;
  const seen = new Promise((resolve) => (resolveSeen = resolve));
  class Recorder { handle(data) { resolveSeen(data); } }
  Listen(subject)(Recorder.prototype, "handle", Object.getOwnPropertyDescriptor(Recorder.prototype, "handle"));
  const bus = new EventBus();
  await bus.connect({ transport, servers, logger: silent, env: {}, cwd: process.cwd() });
  try {
    await bus.listen([Recorder]);
    await bus.publish(subject, { via: transport });
    return await seen;
  } finally {
    await bus.close();
  }
}

await record("hidden", () => import("node-nats-streaming"));
await record("memory", () => roundTrip("memory"));
await record("nats", () => roundTrip("nats", [process.env.TEST_NATS_URL]));
await record("stan", async () => {
  const bus = new EventBus();
  await bus.connect({ transport: "stan", servers: [process.env.TEST_NATS_URL], logger: silent, env: {}, cwd: process.cwd() });
  await bus.close();
});
await record("stanSubpath", async () => Object.keys(await import("express-nats-events/stan")).sort());
`;

let nats: NatsServer;
before(async () => {
  nats = await startNatsServer({ jetstream: false });
});

after(async () => {
  await nats?.stop();
});

test("without node-nats-streaming: the package imports, memory and nats work, stan explains what to install", { timeout: 30_000 }, async () => {
  const results = await runWithoutPackages(["node-nats-streaming", "nats"], CHILD, { TEST_NATS_URL: nats.url });
  assert.equal(results.hidden!.ok, false, "the hook really hides node-nats-streaming");
  assert.deepEqual(results.memory, { ok: true, value: { via: "memory" } });
  assert.deepEqual(results.nats, { ok: true, value: { via: "nats" } });
  assert.equal(results.stan!.ok, false);
  assert.equal(results.stan!.code, "EB_ERR_OPTIONAL_DEPENDENCY");
  assert.match(results.stan!.message!, /npm install node-nats-streaming/);
  assert.equal(results.stanSubpath!.ok, true, `the stan subpath imports without it too: ${results.stanSubpath!.message}`);
  assert.ok((results.stanSubpath!.value as string[]).includes("StanTransport"));
});
