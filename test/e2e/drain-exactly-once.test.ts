// A clean SIGTERM under load hands every JetStream message back exactly once: two real
// register-listeners processes share a queue group, slow handlers, one is SIGTERMed
// mid-stream. Every published id is handled exactly once (none twice), and none waited for
// ackWait (what the stopping process received but did not start went back at once).
import assert from "node:assert/strict";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import type { EventBus, StreamOptions } from "express-nats-events";
import { Ledger, waitConsumerSettled } from "../helpers/ledger.js";
import { createListenerProject } from "../helpers/listener-project.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { ProcessGroup, connectTestBus, fixture, type TestProcess } from "../helpers/processes.js";
import { uniqueName, waitFor } from "../helpers/unique.js";

const STREAM: StreamOptions = { name: "DRAIN", subjects: ["drain.>"], storage: "file" };
/** Long enough that a message waiting for it stands out from the run (which takes a few seconds). */
const ACK_WAIT_MS = 30_000;
const EVENTS = 200;
const WORK_MS = 400;
const CONCURRENCY = 10;

const group = new ProcessGroup();
let nats: NatsServer | undefined;
let dir: string | undefined;
let bus: EventBus | undefined;

before(async () => {
  nats = await startNatsServer();
  dir = await createListenerProject("drain", { transport: "jetstream", streams: [STREAM], listeners: [fixture("crash.listener.js")], ackWaitMs: ACK_WAIT_MS, drainTimeoutMs: 15_000 });
});

after(async () => {
  await bus?.close();
  await group.killAll();
  await nats?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function worker(name: string, env: Record<string, string>): Promise<TestProcess> {
  return group.listeners([], { name, cwd: dir, env: { NATS_URL: nats!.url, ...env } });
}

test(`SIGTERM of one of two listener processes mid-stream: each of ${EVENTS} events handled exactly once, none waited for ackWait`, { timeout: 120_000 }, async (t) => {
  const subject = `drain.${uniqueName("orders")}`;
  const ledgers = path.join(dir!, "ledgers");
  await mkdir(ledgers);
  const ledger = new Ledger(ledgers);
  const env = {
    E2E_CRASH_SUBJECT: subject,
    E2E_CRASH_GROUP: uniqueName("drain-workers"),
    E2E_CRASH_LEDGER_DIR: ledgers,
    E2E_CRASH_CONCURRENCY: String(CONCURRENCY),
    E2E_CRASH_WORK_MS: String(WORK_MS),
  };
  const [stopping, staying] = await Promise.all([worker("worker-a", env), worker("worker-b", env)]);
  bus = await connectTestBus(nats!.url, { transport: "jetstream", streams: [STREAM] });
  await bus.publishAll(Array.from({ length: EVENTS }, (_, id) => ({ subject, data: { id }, options: { msgId: `${subject}-${id}` } })));

  await waitFor(() => ledger.update().handledBy(stopping) >= 3 * CONCURRENCY, 30_000, "worker-a busy for a while");
  const sigtermAt = Date.now();
  stopping.signal("SIGTERM");
  const exit = await stopping.waitForExit(30_000, "worker-a to drain and exit");
  assert.deepEqual(exit, { code: 0, signal: null }, stopping.output());
  const drainMs = Date.now() - sigtermAt;

  await waitFor(() => ledger.update().unique >= EVENTS, 90_000, `all ${EVENTS} events handled`).catch((err: Error) => {
    throw new Error(`${err.message}: ${ledger.unique} handled, missing ${ledger.missing(EVENTS).join(",")}\n${group.output()}`);
  });
  // Nothing pending or unacknowledged: no later delivery (so no later duplicate) can come.
  await waitConsumerSettled([nats!.url], STREAM.name, subject, ACK_WAIT_MS * 2);
  staying.signal("SIGTERM");
  await staying.waitForExit(30_000, "worker-b to exit");
  ledger.update();

  const twice = ledger.twice();
  // A message the stopping process was sent but never saw is redelivered by the server only after ackWait.
  const late = ledger.records.filter((record) => record.deliveryCount > 1 && record.startedAt - sigtermAt >= ACK_WAIT_MS * 0.75);
  const givenBack = ledger.records.filter((record) => record.deliveryCount > 1).length;
  t.diagnostic(
    `worker-a handled ${ledger.handledBy(stopping)} (SIGTERM to exit ${drainMs} ms), worker-b ${ledger.handledBy(staying)}; ` +
      `handled twice: ${twice.length} [${twice.slice(0, 10).join(",")}], waited for ackWait: ${late.length}, redelivered at once after the drain: ${givenBack - late.length}`,
  );
  assert.deepEqual(ledger.missing(EVENTS), [], "every event handled");
  assert.deepEqual(twice, [], "no event handled twice");
  assert.deepEqual(late.map((record) => record.id), [], "no event waited for ackWait");
});
