// `nats-events pause` / `resume` as an operator runs them against a real register-listeners
// process: one process holds queue groups A and B on one subject (two durable consumers);
// pausing A stops A's deliveries while B keeps handling the same messages, which stay in the
// stream for A and are all handled after `resume` (or by themselves after --until). On a server
// older than 2.11 the command fails with EB_ERR_SERVER_VERSION and changes nothing.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import type { EventBus, StreamOptions } from "express-nats-events";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { ProcessGroup, connectTestBus, fixture, undoAfterAll, type TestProcess } from "../helpers/processes.js";
import { serverWith, serverWithout, type ServerBinary } from "../helpers/server-versions.js";
import { uniqueName } from "../helpers/unique.js";

interface ConsumerJson {
  name: string;
  pending: number;
  pausedUntil?: string;
  listeners: string[];
}

const group = new ProcessGroup();
// This test runs eight CLI processes one after the other; on a loaded 2-core machine one start
// (node + the listener modules) has taken over 15 s, the helpers' default.
const CLI_TIMEOUT_MS = 45_000;
const cleanup = undoAfterAll(group);

/** A server of that binary, a config with groups A and B on one subject, and the env the fixtures read. */
async function setUp(server: ServerBinary) {
  const nats: NatsServer = await startNatsServer({ binary: server.binary });
  cleanup(() => nats.stop());
  const prefix = uniqueName("e2e-pause");
  const streams: StreamOptions[] = [{ name: uniqueName("PAUSE").replaceAll("-", "_"), subjects: [`${prefix}.>`], storage: "memory" }];
  const dir = await mkdtemp(path.join(os.tmpdir(), "nats-events-pause-"));
  cleanup(() => rm(dir, { recursive: true, force: true }));
  const config = path.join(dir, "nats-events.config.mjs");
  const listeners = [fixture("queue-a.listener.js"), fixture("queue-b.listener.js")];
  await writeFile(config, `export default ${JSON.stringify({ transport: "jetstream", streams, listeners }, null, 2)};\n`);
  const env = { NATS_URL: nats.url, E2E_QUEUE_SUBJECT: `${prefix}.work`, E2E_GROUP_A: uniqueName("group-a"), E2E_GROUP_B: uniqueName("group-b") };
  const bus: EventBus = await connectTestBus(nats.url, { transport: "jetstream", streams, metrics: false });
  cleanup(() => bus.close());
  const cli = async (args: string[], expectExit = 0) => {
    const run = await group.run([...args, "--config", config], { name: args.slice(0, 2).join(" "), env, timeoutMs: CLI_TIMEOUT_MS });
    assert.equal(run.exit?.code, expectExit, run.output());
    return run;
  };
  const start = () => group.listeners(["--config", config], { name: "register-listeners (A+B)", env, readyTimeoutMs: CLI_TIMEOUT_MS });
  return { bus, env, cli, start, stream: streams[0]!.name };
}

const handledIds = (process_: TestProcess, name: "A" | "B") =>
  process_
    .events("handled")
    .filter((line) => line.group === name)
    .map((line) => line.id as number);

test("pause a group: its messages stay in the stream while the other group handles them; resume delivers them all; --until resumes by itself", async (t) => {
  const server = serverWith("consumer pause");
  if (typeof server === "string") return t.skip(server);
  t.diagnostic(`nats-server ${server.version} (${server.binary})`);
  const { bus, env, cli, start, stream } = await setUp(server);
  const listener = await start();
  const status = async () => {
    const report = JSON.parse((await cli(["status", "--json"])).stdoutLines.join("\n")) as { connection: { version?: string }; streams: Array<{ name: string; consumers: ConsumerJson[] }> };
    const consumers = report.streams.find((s) => s.name === stream)?.consumers ?? [];
    const of = (listenerId: string) => consumers.find((c) => c.listeners.includes(listenerId));
    return { version: report.connection.version, a: of("QueueMemberA.handle"), b: of("QueueMemberB.handle") };
  };

  const paused = await cli(["pause", env.E2E_GROUP_A, "--json"]);
  const pausedJson = JSON.parse(paused.stdoutLines.join("\n")) as { serverVersion: string; consumers: Array<{ stream: string; paused: boolean; pausedUntil: string; listeners: string[] }> };
  assert.equal(pausedJson.serverVersion, server.version);
  assert.deepEqual(pausedJson.consumers.map((c) => [c.stream, c.paused, c.pausedUntil, c.listeners]), [[stream, true, "until resumed", ["QueueMemberA.handle"]]]);

  // B handles every message in the same process; by then A, were it not paused, would have had them too.
  for (let id = 0; id < 10; id++) await bus.publish(env.E2E_QUEUE_SUBJECT, { id });
  await listener.waitForEvents("handled", 10, 15_000, (line) => line.group === "B");
  assert.deepEqual(handledIds(listener, "A"), [], "nothing reaches the paused group");
  const whilePaused = await status();
  assert.equal(whilePaused.version, server.version);
  assert.deepEqual([whilePaused.a?.pending, whilePaused.a?.pausedUntil], [10, "until resumed"], "A's messages wait in the stream");
  assert.deepEqual([whilePaused.b?.pending, whilePaused.b?.pausedUntil], [0, undefined]);
  const table = (await cli(["status"])).stdoutLines.join("\n");
  assert.match(table, /^STREAM\/CONSUMER\s+FILTER\s+PENDING\s+ACK PENDING\s+REDELIVERED\s+PAUSED\s+LISTENERS\s+LEADER\s+REPLICAS$/m);
  assert.match(table, /\s10\s+0\s+0\s+until resumed\s+QueueMemberA\.handle\s/m);

  const resumed = await cli(["resume", env.E2E_GROUP_A]);
  assert.match(resumed.stdoutLines.join("\n"), /running\s+QueueMemberA\.handle/);
  await listener.waitForEvents("handled", 10, 15_000, (line) => line.group === "A");
  assert.deepEqual(handledIds(listener, "A").sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "after resume A gets each message once");
  assert.equal((await status()).a?.pausedUntil, undefined);

  // --until: the server resumes by itself at that time, with no resume command. By listener id this time.
  const before = Date.now();
  const until = await cli(["pause", "QueueMemberA.handle", "--until", "5s", "--json"]);
  const after = Date.now();
  const [state] = (JSON.parse(until.stdoutLines.join("\n")) as { consumers: Array<{ paused: boolean; pausedUntil: string }> }).consumers;
  const untilMs = Date.parse(state!.pausedUntil);
  assert.ok(state!.paused && untilMs >= before + 5_000 && untilMs <= after + 5_000, `the server's answer: paused until 5 s after the command ran: ${JSON.stringify(state)}`);
  for (let id = 10; id < 15; id++) await bus.publish(env.E2E_QUEUE_SUBJECT, { id });
  await listener.waitForEvents("handled", 15, 15_000, (line) => line.group === "B");
  const heldBack = handledIds(listener, "A").filter((id) => id >= 10);
  // Only meaningful while the pause still runs (a slow machine may have passed the --until time already).
  if (Date.now() < untilMs) assert.deepEqual(heldBack, [], "nothing reached A inside the pause while B handled them");
  else t.diagnostic("B handled the 5 only after the --until time: the held-back check was not possible on this run");
  await listener.waitForEvents("handled", 15, 30_000, (line) => line.group === "A");
  t.diagnostic(`--until 5s: the 5 messages reached group A ${Date.now() - untilMs} ms after the --until time (no resume command)`);
});

test("on a server older than 2.11, pause and resume fail with EB_ERR_SERVER_VERSION naming the feature and both versions", async (t) => {
  const server = serverWithout("consumer pause");
  if (typeof server === "string") return t.skip(server);
  t.diagnostic(`nats-server ${server.version} (${server.binary})`);
  const { env, cli } = await setUp(server);
  await cli(["provision"]);
  for (const args of [["pause", env.E2E_GROUP_A], ["resume", env.E2E_GROUP_A]]) {
    const run = await cli(args, 1);
    const stderr = run.stderrLines.join("\n");
    assert.ok(stderr.includes(`EB_ERR_SERVER_VERSION: consumer pause needs nats-server 2.11.0 or later; the connected server is nats-server ${server.version}`), stderr);
    assert.deepEqual(run.stdoutLines.filter(Boolean), [], "nothing reported as paused");
  }
});

test("pause names what it does not know: an unknown group or listener is EB_ERR_UNKNOWN_LISTENER listing the known ones", async (t) => {
  const server = [serverWith("consumer pause"), serverWithout("consumer pause")].find((found): found is ServerBinary => typeof found !== "string");
  if (!server) return t.skip("no nats-server binary at all");
  const { env, cli } = await setUp(server);
  const run = await cli(["pause", "no-such-group"], 1);
  const stderr = run.stderrLines.join("\n");
  assert.match(stderr, /EB_ERR_UNKNOWN_LISTENER: no listener or queue group named "no-such-group"/);
  assert.ok(stderr.includes(env.E2E_GROUP_A) && stderr.includes("QueueMemberB.handle"), stderr);
});
