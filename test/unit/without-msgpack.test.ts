// @msgpack/msgpack is an optional peer dependency: the package (contracts and JSON codecs
// included) must work without it, and express-nats-events/msgpack must say how to get it.
// A child process runs with a module-resolution hook that makes @msgpack/msgpack impossible
// to find, as in a project that never installed it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runWithoutPackages } from "../helpers/without-packages.js";

// Runs inside the package directory, importing it by its name like a user would.
const CHILD = `
await record("hidden", () => import("@msgpack/msgpack"));
await record("contracts", async () => {
  const { EventBus, JsonCodec, Listen, MemoryTransport, defineEvent, unchecked } = await import("express-nats-events");
  const Ping = defineEvent("without-msgpack.ping", unchecked(), { codec: new JsonCodec({ keys: "snake_case" }) });
  let seen;
  const got = new Promise((resolve) => (seen = resolve));
  class Recorder { handle(data) { seen(data); } }
  Listen(Ping)(Recorder.prototype, "handle", Object.getOwnPropertyDescriptor(Recorder.prototype, "handle"));
  const bus = new EventBus();
  await bus.connect({ transportInstance: new MemoryTransport(), logger: { debug() {}, info() {}, warn() {}, error() {} }, env: {}, cwd: process.cwd() });
  try {
    await bus.listen([Recorder]);
    await bus.publish(Ping, { sentBy: "memory" });
    return await got;
  } finally {
    await bus.close();
  }
});
await record("msgpack", () => import("express-nats-events/msgpack"));
`;

test("without @msgpack/msgpack: contracts and JSON codecs work, express-nats-events/msgpack explains what to install", { timeout: 30_000 }, async () => {
  const results = await runWithoutPackages(["@msgpack/msgpack"], CHILD);
  assert.equal(results.hidden!.ok, false, "the hook really hides @msgpack/msgpack");
  assert.deepEqual(results.contracts, { ok: true, value: { sentBy: "memory" } });
  assert.equal(results.msgpack!.ok, false);
  assert.equal(results.msgpack!.code, "EB_ERR_OPTIONAL_DEPENDENCY");
  assert.match(results.msgpack!.message!, /the MessagePack codec needs the @msgpack\/msgpack package, which is not installed .*npm install @msgpack\/msgpack/);
});
