// Real register-listeners processes on a real 3-node cluster, while events are published:
// SIGKILL of the node leading both the stream and the consumer, and a rolling restart of
// all three nodes, lose no acknowledged event; with the (R1) dead-letter stream's node
// down, a new listener process still starts, works, and dead-letters once the node is back.
import assert from "node:assert/strict";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { after, afterEach, before, test } from "node:test";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { EventBus, StreamOptions } from "express-nats-events";
import { Ledger, waitConsumerSettled } from "../helpers/ledger.js";
import { createListenerProject } from "../helpers/listener-project.js";
import { startNatsCluster, type NatsCluster } from "../helpers/nats-cluster.js";
import { ProcessGroup, connectTestBus, fixture, type TestProcess } from "../helpers/processes.js";
import { publishSteadily, publishStored } from "../helpers/publish-stored.js";
import { pollUntil, uniqueName, waitFor } from "../helpers/unique.js";

const STREAM: StreamOptions = { name: "ORDERS", subjects: ["orders.>"], replicas: 3 };
const DEAD_LETTERS = "DEAD_LETTERS";
const ACK_WAIT_MS = 5_000;
const COUNT = 600;

const group = new ProcessGroup();
let cluster: NatsCluster;
let nc: NatsConnection;
let jsm: JetStreamManager;
let dir: string;
let bus: EventBus | undefined;

before(async () => {
  cluster = await startNatsCluster();
  nc = await connect({ servers: cluster.urls, name: "node-loss-test" });
  jsm = await jetstreamManager(nc);
  // The dead-letter stream on one node, as it was before it could be configured: the case where one node down broke every start.
  dir = await createListenerProject("node-loss", { transport: "jetstream", streams: [STREAM], deadLetterReplicas: 1, ackWaitMs: ACK_WAIT_MS, retry: { maxDeliver: 2, initialDelayMs: 100, maxDelayMs: 200 } });
  bus = await connectTestBus(cluster.urls[0]!, { servers: cluster.urls, transport: "jetstream", streams: [STREAM], deadLetterReplicas: 1 });
});

afterEach(async () => {
  await group.killAll();
  // Every node up again before the next test.
  for (const node of cluster.nodes) if (!node.running) await node.restart();
});

after(async () => {
  await bus?.close();
  await group.killAll();
  await nc?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A register-listeners process of the test project, with the cluster's URLs, as pm2 would start it. */
function listener(name: string, modules: string[], env: Record<string, string>, readyTimeoutMs = 30_000): Promise<TestProcess> {
  return group.listeners(modules, { name, cwd: dir, env: { NATS_URL: cluster.urls.join(","), ...env }, readyTimeoutMs });
}

async function ledgerWorkers(subject: string): Promise<{ ledger: Ledger; workers: TestProcess[] }> {
  const ledgers = path.join(dir, uniqueName("ledgers"));
  await mkdir(ledgers);
  const env = { E2E_CRASH_SUBJECT: subject, E2E_CRASH_GROUP: "order-workers", E2E_CRASH_LEDGER_DIR: ledgers, E2E_CRASH_CONCURRENCY: "20" };
  const modules = [fixture("crash.listener.js")];
  const workers = await Promise.all([listener("worker-a", modules, env), listener("worker-b", modules, env)]);
  return { ledger: new Ledger(ledgers), workers };
}

async function consumerLeader(subject: string): Promise<{ name: string; leader: string | undefined }> {
  for await (const info of jsm.consumers.list(STREAM.name)) {
    if (info.config.filter_subject === subject) return { name: info.name, leader: info.cluster?.leader };
  }
  throw new Error(`no consumer on ${subject}`);
}

/** Every acknowledged id handled at least once, nothing left on the consumer; returns a summary line. */
async function everyAcknowledgedHandled(ledger: Ledger, acknowledged: number[], subject: string): Promise<string> {
  await waitFor(() => ledger.update().unique >= acknowledged.length, 90_000, `all ${acknowledged.length} acknowledged events handled`).catch((err: Error) => {
    throw new Error(`${err.message}: ${ledger.unique} handled, missing ${ledger.missing(acknowledged.length).slice(0, 20).join(",")}\n${group.output()}`);
  });
  assert.deepEqual(ledger.missing(acknowledged.length), [], "every acknowledged publish was handled");
  await waitConsumerSettled(cluster.urls, STREAM.name, subject, 60_000);
  ledger.update();
  return `${ledger.unique} handled, ${ledger.duplicates} handled again (at-least-once), ${ledger.redelivered} redeliveries`;
}

test("SIGKILL of the node leading the stream and the consumer while publishing: every acknowledged event is handled", { timeout: 240_000 }, async (t) => {
  const subject = `orders.${uniqueName("kill")}`;
  const { ledger } = await ledgerWorkers(subject);
  // Make one node lead both: step the consumer down until its leader is the stream's.
  const consumer = await pollUntil(async () => {
    const streamLeader = (await jsm.streams.info(STREAM.name)).cluster?.leader;
    const current = await consumerLeader(subject);
    if (current.leader && current.leader === streamLeader) return { ...current, leader: streamLeader };
    await nc.request(`$JS.API.CONSUMER.LEADER.STEPDOWN.${STREAM.name}.${current.name}`, undefined, { timeout: 5_000 }).catch(() => undefined);
    return undefined;
  }, 60_000, "one node leading both the stream and the consumer", 500);

  const acknowledged: number[] = [];
  const publishing = publishSteadily(bus!, subject, acknowledged, { count: COUNT });
  await waitFor(() => ledger.update().unique >= COUNT / 4, 60_000, `${COUNT / 4} handled before the kill`);
  const killedAt = acknowledged.length;
  await cluster.node(consumer.leader).kill();
  await publishing;
  const summary = await everyAcknowledgedHandled(ledger, acknowledged, subject);
  t.diagnostic(`killed ${consumer.leader} (leader of ${STREAM.name} and ${consumer.name}) after ${killedAt} acknowledged publishes; ${summary}`);
});

test("a rolling restart of all three nodes under publishing: every acknowledged event is handled", { timeout: 300_000 }, async (t) => {
  const subject = `orders.${uniqueName("rolling")}`;
  const { ledger } = await ledgerWorkers(subject);
  const acknowledged: number[] = [];
  const publishing = publishSteadily(bus!, subject, acknowledged, { count: COUNT });
  const restarts: string[] = [];
  for (const node of cluster.nodes) {
    await waitFor(() => acknowledged.length >= (restarts.length + 1) * (COUNT / 5), 90_000, "publishing progress before the next restart");
    const started = performance.now();
    await node.restart();
    // Back in the cluster and caught up with the stream before the next node goes.
    const name = cluster.nameOf(node);
    await pollUntil(async () => {
      const info = await jsm.streams.info(STREAM.name);
      const peers = [info.cluster?.leader, ...(info.cluster?.replicas ?? []).filter((peer) => peer.current && !peer.offline).map((peer) => peer.name)];
      return peers.includes(name) && peers.length === 3 ? true : undefined;
    }, 60_000, `${name} current again after its restart`, 200);
    restarts.push(`${name} ${Math.round(performance.now() - started)} ms`);
  }
  await publishing;
  const summary = await everyAcknowledgedHandled(ledger, acknowledged, subject);
  t.diagnostic(`restarted one at a time (until current again): ${restarts.join(", ")}; ${summary}`);
});

test("the dead-letter stream's node down while a new listener process starts: it starts, handles events, and dead-letters once the node is back", { timeout: 240_000 }, async () => {
  const subject = `orders.${uniqueName("flaky")}`;
  const dlNode = cluster.node((await jsm.streams.info(DEAD_LETTERS)).cluster!.leader!);
  await dlNode.kill();
  const worker = await listener("flaky-worker", [fixture("flaky.listener.js")], { E2E_FLAKY_SUBJECT: subject }, 90_000);
  await worker.waitForLog(`stream "${DEAD_LETTERS}" is not available`, 30_000);

  await publishStored(bus!, subject, 1, "flaky-ok");
  await worker.waitForEvents("attempt", 1, 60_000);

  // The tools name the real cause while the node is down: not "cannot provision", not "unreachable".
  const env = { NATS_URL: cluster.urls.join(",") };
  const list = await group.run(["dead-letters", "list"], { name: "dead-letters list", cwd: dir, env, timeoutMs: 30_000 });
  assert.equal(list.exit?.code, 1, list.output());
  assert.match(list.stderrLines.join("\n"), new RegExp(`EB_ERR_(REQUEST_TIMEOUT|NO_RESPONDERS): cannot read the dead-letter stream "${DEAD_LETTERS}": (timed out|no leader)`));
  const status = await group.run(["status", "--json"], { name: "status", cwd: dir, env, timeoutMs: 30_000 });
  const report = JSON.parse(status.stdoutLines.join("\n")) as { connection: { status: string; error: string } };
  assert.equal(report.connection.status, "connected", status.output());
  assert.match(report.connection.error, new RegExp(`cannot read stream "${DEAD_LETTERS}": (timed out|no leader)`));

  await dlNode.restart();
  await worker.waitForLog(`stream "${DEAD_LETTERS}" is available again`, 60_000);
  await bus!.publish(subject, { id: "poison", mode: "non-retryable" });
  await pollUntil(async () => ((await jsm.streams.info(DEAD_LETTERS)).state.messages > 0 ? true : undefined), 60_000, "the dead letter stored");
  assert.equal(worker.isRunning, true, worker.output());
});
