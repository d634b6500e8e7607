// `nats-events status` and `nats-events listeners` as an operator runs them against a
// JetStream config: pending counts that match what was published and not yet handled,
// ack-pending for what a listener holds, the readable table, and listing the @Listen
// declarations without a server. `provision` shows its progress on stderr.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { EventBus, ReplicationState, StreamOptions } from "express-nats-events";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { ProcessGroup, connectTestBus, fixture } from "../helpers/processes.js";
import { uniqueName } from "../helpers/unique.js";

interface StatusJson {
  connection: { status: string; transport: string; servers: string[]; server?: string; version?: string; rttMs?: number; error?: string };
  listeners: Array<{ listener: string; subject: string; queueGroup: string | null; durable: boolean; stream?: string; consumer?: string }>;
  streams: Array<{ name: string; exists: boolean; messages: number; bytes: number; replication: ReplicationState | null; consumers: Array<{ name: string; pending: number; ackPending: number; redelivered: number; listeners: string[]; replication: ReplicationState }> }>;
}

const group = new ProcessGroup();
const PREFIX = uniqueName("e2e-status");
const SUBJECT = `${PREFIX}.work`;
const STREAM = uniqueName("STATUS").replaceAll("-", "_");
const streams: StreamOptions[] = [{ name: STREAM, subjects: [`${PREFIX}.>`], storage: "memory" }];
let nats: NatsServer | undefined;
let bus: EventBus | undefined;
let dir: string | undefined;
let config: string;
let env: Record<string, string>;

before(async () => {
  nats = await startNatsServer();
  dir = await mkdtemp(path.join(os.tmpdir(), "nats-events-status-"));
  config = path.join(dir, "nats-events.config.mjs");
  await writeFile(config, `export default ${JSON.stringify({ transport: "jetstream", streams, listeners: [fixture("slow.listener.js")] }, null, 2)};\n`);
  // The slow fixture: 3 handlers at once, each taking a minute, so what it holds stays "ack pending".
  env = { NATS_URL: nats.url, E2E_SLOW_SUBJECT: SUBJECT, E2E_SLOW_WORK_MS: "60000", E2E_SLOW_CONCURRENCY: "3" };
  bus = await connectTestBus(nats.url, { transport: "jetstream", streams, metrics: false });
});

after(async () => {
  await bus?.close();
  await group.killAll();
  await nats?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function status(): Promise<StatusJson> {
  const run = await group.run(["status", "--json", "--config", config], { name: "status --json", env });
  assert.equal(run.exit?.code, 0, run.output());
  return JSON.parse(run.stdoutLines.join("\n")) as StatusJson;
}

const ours = (report: StatusJson) => {
  const stream = report.streams.find((s) => s.name === STREAM);
  assert.ok(stream, `stream ${STREAM} missing in ${JSON.stringify(report.streams)}`);
  return { stream, consumer: stream.consumers[0] };
};

test("provision shows its progress; status --json reports pending = published and not yet handled, then ack pending for what a listener holds", async (t) => {
  const provision = await group.run(["provision", "--config", config], { name: "provision", env });
  assert.equal(provision.exit?.code, 0, provision.output());
  // Non-terminal: a progress line per step (3 steps: the stream, the dead-letter stream, the consumer).
  const progress = provision.stderrLines.filter(Boolean);
  assert.deepEqual(progress.slice(0, 2), [`provisioned 1/3 stream ${STREAM}`, "provisioned 2/3 stream DEAD_LETTERS"]);
  assert.match(progress[2] ?? "", new RegExp(`^provisioned 3/3 consumer ${STREAM}/slow-workers__`));
  assert.equal(progress.length, 3, provision.output());

  for (let id = 0; id < 7; id++) await bus!.publish(SUBJECT, { id });
  const before = await status();
  assert.equal(before.connection.status, "connected");
  assert.equal(before.connection.transport, "jetstream");
  assert.equal(before.connection.server, `127.0.0.1:${nats!.port}`);
  assert.match(before.connection.version ?? "", /^\d+\.\d+\.\d+/);
  assert.deepEqual(before.listeners.map((l) => [l.listener, l.subject, l.queueGroup, l.stream]), [["SlowListener.handle", SUBJECT, "slow-workers", STREAM]]);
  const idle = ours(before);
  assert.equal(idle.stream.messages, 7);
  assert.ok(idle.stream.bytes > 0);
  assert.deepEqual(
    { name: idle.consumer?.name, pending: idle.consumer?.pending, ackPending: idle.consumer?.ackPending, listeners: idle.consumer?.listeners },
    { name: before.listeners[0]!.consumer, pending: 7, ackPending: 0, listeners: ["SlowListener.handle"] },
  );

  // A listener runs 3 (its concurrency) and holds them. Ack pending counts everything delivered to
  // the process and not acknowledged: the 3 running plus what the client pulled ahead into its buffer.
  const listener = await group.listeners(["--config", config], { name: "slow-listener", env });
  await listener.waitForEvents("started", 3, 10_000);
  const busy = ours(await status());
  assert.equal(listener.events("started").length, 3, "no more than its concurrency runs");
  assert.equal(listener.events("finished").length, 0, "nothing was handled yet");
  assert.equal(busy.consumer!.pending + busy.consumer!.ackPending, 7, `nothing handled, so pending + ack pending = 7: ${JSON.stringify(busy.consumer)}`);
  assert.ok(busy.consumer!.ackPending >= 3, `the 3 running are ack pending: ${JSON.stringify(busy.consumer)}`);
  assert.equal(busy.consumer!.redelivered, 0);
  assert.equal(busy.stream.messages, 7);
  for (const replication of [busy.stream.replication, busy.consumer!.replication]) {
    assert.deepEqual(replication, { leader: replication?.leader, replicas: 1, peers: [{ server: replication?.leader, role: "leader", current: true, offline: false, lag: 0, lastSeenMs: null }] });
    assert.match(replication?.leader ?? "", /^\S+$/, "the single server leads");
  }

  // The readable form shows the same numbers in a table.
  const readable = await group.run(["status", "--config", config], { name: "status", env });
  assert.equal(readable.exit?.code, 0, readable.output());
  const text = readable.stdoutLines.join("\n");
  assert.match(text, /^Connection$/m);
  assert.match(text, /^\s+status\s+connected \(transport jetstream\)$/m);
  assert.match(text, /^STREAM\/CONSUMER\s+FILTER\s+PENDING\s+ACK PENDING\s+REDELIVERED\s+LISTENERS\s+LEADER\s+REPLICAS$/m);
  // One server: it leads everything, one copy each.
  const leader = busy.stream.replication!.leader!;
  assert.match(text, new RegExp(`^${STREAM}/${busy.consumer!.name}\\s+${SUBJECT.replaceAll(".", "\\.")}\\s+${busy.consumer!.pending}\\s+${busy.consumer!.ackPending}\\s+0\\s+SlowListener\\.handle\\s+${leader}\\s+1$`, "m"));
  assert.match(text, /^STREAM\s+SUBJECTS\s+MESSAGES\s+BYTES\s+LEADER\s+REPLICAS$/m);
  assert.match(text, new RegExp(`^${STREAM}\\s+${PREFIX}\\.>\\s+7\\s+\\S+ B\\s+${leader}\\s+1$`, "m"));
  t.diagnostic(`published 7: pending 7 / ack pending 0; with a listener holding 3: pending ${busy.consumer?.pending} / ack pending ${busy.consumer?.ackPending}`);
  t.diagnostic(`status table:\n${text}`);
});

test("status against an unreachable server: exit 1, the report says why (no password)", async () => {
  const port = await freePort();
  const run = await group.run(["status", "--json", "--config", config], { name: "status (unreachable)", env: { ...env, NATS_URL: `nats://ops:hunter2@127.0.0.1:${port}` } });
  assert.equal(run.exit?.code, 1, run.output());
  const report = JSON.parse(run.stdoutLines.join("\n")) as StatusJson;
  assert.equal(report.connection.status, "unreachable");
  assert.match(report.connection.error ?? "", /^EB_ERR_CONNECT: /);
  assert.deepEqual(report.connection.servers, [`nats://***@127.0.0.1:${port}`]);
  assert.deepEqual(run.allLines.filter((line) => line.includes("hunter2")), []);
});

test("listeners lists what @Listen declared, with stream and consumer, without connecting", async () => {
  const port = await freePort(); // nothing listens there: a connection attempt would fail
  const run = await group.run(["listeners", "--json", "--config", config], { name: "listeners --json", env: { ...env, NATS_URL: `nats://127.0.0.1:${port}` } });
  assert.equal(run.exit?.code, 0, run.output());
  const listed = JSON.parse(run.stdoutLines.join("\n")) as { transport: string; listeners: StatusJson["listeners"] };
  assert.equal(listed.transport, "jetstream");
  assert.deepEqual(listed.listeners, [
    { listener: "SlowListener.handle", subject: SUBJECT, queueGroup: "slow-workers", concurrency: 3, durable: true, stream: STREAM, consumer: listed.listeners[0]!.consumer },
  ]);
  assert.match(listed.listeners[0]!.consumer!, /^slow-workers__/);

  const table = await group.run(["listeners", "--config", config], { name: "listeners", env: { ...env, NATS_URL: `nats://127.0.0.1:${port}` } });
  assert.equal(table.exit?.code, 0, table.output());
  assert.match(table.stdoutLines[0]!, /^LISTENER\s+SUBJECT\s+GROUP\s+CONCURRENCY\s+STREAM\/CONSUMER$/);
  assert.match(table.stdoutLines[1]!, new RegExp(`^SlowListener\\.handle\\s+${SUBJECT.replaceAll(".", "\\.")}\\s+slow-workers\\s+3\\s+${STREAM}/slow-workers__`));
});
