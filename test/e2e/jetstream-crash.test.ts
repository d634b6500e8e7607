// No loss on JetStream when things die: a register-listeners process SIGKILLed in the
// middle of 10,000 events (and restarted) loses nothing, and events stored with file
// storage survive a nats-server restart. Duplicates are allowed (at-least-once) and reported.
import assert from "node:assert/strict";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { EventBus, StreamOptions } from "express-nats-events";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { ProcessGroup, connectTestBus, fixture, type TestProcess } from "../helpers/processes.js";
import { uniqueName, waitFor } from "../helpers/unique.js";
import { Ledger, waitConsumerSettled } from "../helpers/ledger.js";
import { createListenerProject } from "../helpers/listener-project.js";

const STREAM: StreamOptions = { name: "CRASH", subjects: ["crash.>"], storage: "file" };
// Short, so what the killed process had received but not acknowledged comes back quickly.
const ACK_WAIT_MS = 2_000;

const group = new ProcessGroup();
let nats: NatsServer | undefined;
let dir: string | undefined;
let bus: EventBus | undefined;

before(async () => {
  nats = await startNatsServer();
  // The listener processes' project: a config file naming the streams and the listener module.
  dir = await createListenerProject("crash", { transport: "jetstream", streams: [STREAM], listeners: [fixture("crash.listener.js")], ackWaitMs: ACK_WAIT_MS, logLevel: "warn" });
});

after(async () => {
  await bus?.close();
  await group.killAll();
  await nats?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A register-listeners process in the temp project, as pm2 would start it. */
function worker(name: string, subject: string, queueGroup: string, ledgerDir: string): Promise<TestProcess> {
  return group.listeners([], {
    name,
    cwd: dir,
    env: { NATS_URL: nats!.url, NATS_TRANSPORT: "jetstream", E2E_CRASH_SUBJECT: subject, E2E_CRASH_GROUP: queueGroup, E2E_CRASH_LEDGER_DIR: ledgerDir },
  });
}

async function ledgerDir(name: string): Promise<string> {
  const ledgers = path.join(dir!, name);
  await mkdir(ledgers);
  return ledgers;
}

/** Waits until the server will deliver nothing more on the consumer that filters `subject`. */
function waitSettled(subject: string, timeoutMs: number): Promise<void> {
  return waitConsumerSettled([nats!.url], STREAM.name, subject, timeoutMs);
}

async function storedCount(subject: string): Promise<number> {
  const connection = await connect({ servers: nats!.url, name: "crash-test-inspector" });
  try {
    const jsm = await jetstreamManager(connection);
    const info = await jsm.streams.info(STREAM.name, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  } finally {
    await connection.close();
  }
}

/** SIGTERM (drain) and wait for a clean exit, so every line the process wrote has been read. */
async function stop(process_: TestProcess): Promise<void> {
  if (!process_.isRunning) return;
  process_.signal("SIGTERM");
  const exit = await process_.waitForExit(15_000, "a clean exit after SIGTERM");
  assert.deepEqual(exit, { code: 0, signal: null }, process_.output());
}

test("10,000 events, two processes in one queue group, one SIGKILLed mid-stream and restarted: none lost", { timeout: 120_000 }, async (t) => {
  const MESSAGES = 10_000;
  const KILL_AFTER = 300;
  const subject = `crash.${uniqueName("orders")}`;
  const queueGroup = uniqueName("crash-workers");
  // The publisher creates the stream on connect, before the workers race to provision it.
  bus = await connectTestBus(nats!.url, { transport: "jetstream", streams: [STREAM] });
  const ledgers = await ledgerDir("crash-ledgers");
  const ledger = new Ledger(ledgers);
  const [first, second] = await Promise.all([worker("worker-a", subject, queueGroup, ledgers), worker("worker-b", subject, queueGroup, ledgers)]);

  const started = performance.now();
  let published = false;
  const publishing = bus.publishAll(Array.from({ length: MESSAGES }, (_, id) => ({ subject, data: { id } })), { maxInFlight: 256 });
  void publishing.then(() => (published = true), () => undefined);

  await waitFor(() => ledger.update().handledBy(first) >= KILL_AFTER, 30_000, `${KILL_AFTER} handled by worker-a`);
  await first.kill();
  assert.equal(first.exit?.signal, "SIGKILL");
  const killedAfter = ledger.update().handledBy(first);
  const atKill = { unique: ledger.unique };
  assert.ok(atKill.unique < MESSAGES, `the kill came after every event was handled (${atKill.unique}); it must be mid-stream`);
  const publishedAtKill = published;
  const restarted = await worker("worker-a (restarted)", subject, queueGroup, ledgers);

  const receipts = await publishing;
  assert.equal(receipts.length, MESSAGES);
  const publishMs = performance.now() - started;
  await bus.close();
  bus = undefined;
  await waitFor(() => ledger.update().unique === MESSAGES, 60_000, `all ${MESSAGES} ids handled`).catch((err: Error) => {
    throw new Error(`${err.message} (${ledger.unique} handled)\n${group.output()}`);
  });
  const coveredMs = performance.now() - started;

  // Nothing pending or unacknowledged: no further delivery (and so no further duplicate) can come.
  await waitSettled(subject, 30_000);
  await Promise.all([stop(second), stop(restarted)]);
  ledger.update();

  const expected = Array.from({ length: MESSAGES }, (_, id) => id);
  assert.deepEqual([...ledger.counts.keys()].sort((a, b) => a - b), expected, "the handled set equals the published set");
  assert.equal(await storedCount(subject), MESSAGES, "the stream holds each event once");
  const perProcess = [first, second, restarted].map((p) => `${p.name} ${ledger.handledBy(p)}`).join(", ");
  const twice = [...ledger.counts].filter(([, count]) => count > 1).length;
  t.diagnostic(
    `killed worker-a (pid ${first.pid}) after it handled ${killedAfter} (${atKill.unique}/${MESSAGES} handled overall, publishing ${publishedAtKill ? "already done" : "still running"}); ` +
      `handled per process: ${perProcess}`,
  );
  t.diagnostic(
    `duplicates: ${ledger.duplicates} extra lines (${twice} ids handled more than once), ${ledger.redelivered} deliveries with deliveryCount > 1; ` +
      `publishAll done after ${Math.round(publishMs)} ms, all ${MESSAGES} handled after ${Math.round(coveredMs)} ms (ackWait ${ACK_WAIT_MS} ms)`,
  );
});

test("no loss across a server restart: 2,000 events on file storage, then a listener started after the restart gets them all", { timeout: 60_000 }, async (t) => {
  const MESSAGES = 2_000;
  const subject = `crash.${uniqueName("restart")}`;
  const publisher = await connectTestBus(nats!.url, { transport: "jetstream", streams: [STREAM] });
  try {
    const receipts = await publisher.publishAll(Array.from({ length: MESSAGES }, (_, id) => ({ subject, data: { id } })));
    assert.equal(receipts.length, MESSAGES);
  } finally {
    await publisher.close();
  }
  assert.equal(await storedCount(subject), MESSAGES);

  const storeDir = nats!.storeDir;
  const port = nats!.port;
  const restartedAt = performance.now();
  await nats!.restart(); // SIGTERM, then a new server on the same port and store_dir
  const restartMs = performance.now() - restartedAt;
  assert.equal(nats!.port, port);
  assert.equal(nats!.storeDir, storeDir);
  assert.equal(await storedCount(subject), MESSAGES, `the stream lost events across the restart\n${nats!.output().slice(-2_000)}`);

  const ledger = new Ledger(await ledgerDir("restart-ledgers"));
  const listener = await worker("worker-after-restart", subject, uniqueName("restart-workers"), ledger.dir);
  await waitFor(() => ledger.update().unique === MESSAGES, 30_000, `all ${MESSAGES} ids after the restart`).catch((err: Error) => {
    throw new Error(`${err.message} (${ledger.unique} handled)\n${listener.output()}`);
  });
  await waitSettled(subject, 15_000);
  await stop(listener);
  ledger.update();
  assert.deepEqual([...ledger.counts.keys()].sort((a, b) => a - b), Array.from({ length: MESSAGES }, (_, id) => id));
  assert.equal(ledger.duplicates, 0, "a fresh consumer with no failures handles each event once");
  t.diagnostic(`server restart took ${Math.round(restartMs)} ms; ${MESSAGES} events stored before it were all delivered after it`);
});
