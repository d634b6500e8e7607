// Poison messages: bytes that are not JSON, published by a plain NATS client,
// never reach the handler; the listener process logs them, copies them to the
// dead-letter subject, and keeps handling valid messages.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { LogLevels, ProcessGroup, fixture } from "../helpers/processes.js";
import { Collector, uniqueName } from "../helpers/unique.js";

const group = new ProcessGroup();
let nats: NatsServer | undefined;
let raw: NatsConnection | undefined;

before(async () => {
  nats = await startNatsServer({ jetstream: false });
  raw = await connect({ servers: nats.url });
});

after(async () => {
  await raw?.close();
  await group.killAll();
  await nats?.stop();
});

test("undecodable bytes are rejected with a log line naming subject and reason; a valid message afterwards is handled", async (t) => {
  const subject = `e2e.echo.${uniqueName("bad-input")}`;
  const listener = await group.listeners([fixture("echo.listener.js")], { name: "echo-listener", env: { NATS_URL: nats!.url, E2E_ECHO_SUBJECT: subject } });

  const deadLetters = new Collector<Msg>();
  raw!.subscribe(`dead-letter.${subject}`, { callback: (err, msg) => (err ? undefined : deadLetters.push(msg)) });
  await raw!.flush();

  const notJson = new TextEncoder().encode("this is {not json");
  const notUtf8 = new Uint8Array([0xff, 0xfe, 0x7b]);
  raw!.publish(subject, notJson);
  raw!.publish(subject, notUtf8);
  raw!.publish(subject, new TextEncoder().encode(JSON.stringify({ id: "valid-after-bad-input" })));

  const [valid] = await listener.waitForEvents("handled", 1, 10_000);
  assert.deepEqual(valid, { event: "handled", id: "valid-after-bad-input", subject, data: { id: "valid-after-bad-input" }, request: false, pid: listener.pid });
  // Published before the valid one on the same connection: had the handler seen them, their lines would come first.
  assert.equal(listener.events("handled").length, 1, `the handler saw the bad messages: ${JSON.stringify(listener.events("handled"))}`);

  const rejected = () => listener.logs("message rejected: cannot decode").filter((line) => line.subject === subject);
  await listener.waitUntil(() => rejected().length >= 2, 5_000, "two 'message rejected' log lines");
  const lines = rejected();
  for (const line of lines) {
    assert.equal(line.level, LogLevels.warn, JSON.stringify(line));
    assert.equal(line.code, "EB_ERR_DECODE");
    assert.equal(line.listener, "EchoListener.handle");
    assert.equal(line.deliveryCount, 1);
    assert.match(String(line.reason), /is not valid JSON/);
    assert.match(String(line.correlationId), /^[0-9a-f-]{36}$/, "a message without a correlation id gets one");
  }
  assert.match(String(lines[0]!.reason), /\(17 bytes\)/);
  assert.match(String(lines[1]!.reason), /\(3 bytes\)/);

  const letters = await deadLetters.waitForCount(2, 5_000, "dead letters of the undecodable messages");
  assert.deepEqual(letters.map((msg) => [...msg.data]), [[...notJson], [...notUtf8]], "dead letters carry the original bytes");
  for (const msg of letters) {
    assert.equal(msg.headers?.get("Eb-Dead-Letter-Reason"), "undecodable");
    assert.equal(msg.headers?.get("Eb-Error-Code"), "EB_ERR_DECODE");
    assert.equal(msg.headers?.get("Eb-Original-Subject"), subject);
    assert.equal(msg.headers?.get("Eb-Listener"), "EchoListener.handle");
  }
  assert.ok(listener.isRunning, "the listener process keeps running");

  // And it still handles what comes next.
  raw!.publish(subject, new TextEncoder().encode(JSON.stringify({ id: "second-valid" })));
  await listener.waitForEvents("handled", 1, 10_000, (line) => line.id === "second-valid");
  t.diagnostic(`rejected: ${lines.map((line) => String(line.reason)).join(" | ")}`);
});
