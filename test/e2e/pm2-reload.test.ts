// `pm2 reload` of the listener processes under continuous publishing (real pm2 with its own
// PM2_HOME, real register-listeners processes on JetStream): every event is handled exactly
// once, none lost, none waited for ackWait.
import assert from "node:assert/strict";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import type { EventBus, StreamOptions } from "express-nats-events";
import { Ledger, waitConsumerSettled } from "../helpers/ledger.js";
import { createListenerProject } from "../helpers/listener-project.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { Pm2 } from "../helpers/pm2.js";
import { CLI, connectTestBus, fixture } from "../helpers/processes.js";
import { publishSteadily } from "../helpers/publish-stored.js";
import { uniqueName, waitFor } from "../helpers/unique.js";

const STREAM: StreamOptions = { name: "RELOAD", subjects: ["reload.>"], storage: "file" };
/** Far longer than the run (a reload takes ~10 s), so a message that waited for it stands out. */
const ACK_WAIT_MS = 60_000;
/** Published before the reload starts, and again after it finished; publishing goes on throughout. */
const AROUND_RELOAD = 200;

let nats: NatsServer | undefined;
let pm2: Pm2 | undefined;
let dir: string | undefined;
let bus: EventBus | undefined;

before(async () => {
  nats = await startNatsServer();
  pm2 = await Pm2.start();
  dir = await createListenerProject("reload", { transport: "jetstream", streams: [STREAM], listeners: [fixture("crash.listener.js")], ackWaitMs: ACK_WAIT_MS, drainTimeoutMs: 8_000 });
});

after(async () => {
  await bus?.close();
  await pm2?.kill();
  await nats?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("pm2 reload of two listener processes under continuous publishing: each event handled exactly once, none late", { timeout: 180_000 }, async (t) => {
  const subject = `reload.${uniqueName("orders")}`;
  const ledgers = path.join(dir!, "ledgers");
  await mkdir(ledgers);
  const ledger = new Ledger(ledgers);
  const env = {
    NATS_URL: nats!.url,
    E2E_CRASH_SUBJECT: subject,
    E2E_CRASH_GROUP: uniqueName("reload-workers"),
    E2E_CRASH_LEDGER_DIR: ledgers,
    E2E_CRASH_CONCURRENCY: "10",
    E2E_CRASH_WORK_MS: "10",
  };
  const app = (name: string) => ({ name, script: CLI, args: ["register-listeners"], cwd: dir!, env, wait_ready: true, listen_timeout: 30_000, kill_timeout: 12_000, autorestart: true });
  await pm2!.startApps([app("listeners-a"), app("listeners-b")]);
  const before = await pm2!.list();
  assert.deepEqual(before.map((entry) => entry.status), ["online", "online"]);

  bus = await connectTestBus(nats!.url, { transport: "jetstream", streams: [STREAM] });
  const acknowledged: number[] = [];
  let reloadedAt: number | undefined;
  const publishing = publishSteadily(bus, subject, acknowledged, { perSecond: 200, until: () => reloadedAt !== undefined && acknowledged.length >= reloadedAt + AROUND_RELOAD });
  await waitFor(() => ledger.update().unique >= AROUND_RELOAD, 30_000, "events handled before the reload");
  const reloadAt = Date.now();
  const publishedBefore = acknowledged.length;
  await pm2!.run(["reload", "all"], 90_000);
  const reloadMs = Date.now() - reloadAt;
  reloadedAt = acknowledged.length;
  await publishing;
  const EVENTS = acknowledged.length;

  const afterReload = await pm2!.list();
  assert.deepEqual(afterReload.map((entry) => entry.status), ["online", "online"]);
  assert.ok(afterReload.every((entry, index) => entry.pid !== before[index]!.pid), "both processes were replaced");
  await waitFor(() => ledger.update().unique >= EVENTS, 90_000, `all ${EVENTS} events handled`).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${ledger.unique} handled, missing ${ledger.missing(EVENTS).slice(0, 30).join(",")}\n${await pm2!.output("listeners-a")}`);
  });
  await waitConsumerSettled([nats!.url], STREAM.name, subject, ACK_WAIT_MS * 2);
  ledger.update();

  const twice = ledger.twice();
  // A message sent to a stopping process that never saw it comes back only after ackWait.
  const late = ledger.records.filter((record) => record.deliveryCount > 1 && record.startedAt - reloadAt >= ACK_WAIT_MS * 0.75);
  const lastHandledAfterMs = Math.max(...ledger.records.map((record) => record.startedAt)) - reloadAt;
  const redelivered = ledger.records.filter((record) => record.deliveryCount > 1).length;
  t.diagnostic(
    `pm2 reload took ${reloadMs} ms; ${EVENTS} published (${publishedBefore} before it, ${reloadedAt - publishedBefore} during it); handled by pid: ${JSON.stringify(Object.fromEntries(ledger.perPid))}; ` +
      `handled twice: ${twice.length}, waited for ackWait: ${late.length}, given back at once: ${redelivered - late.length}; last one handled ${lastHandledAfterMs} ms after the reload began`,
  );
  if (twice.length > 0 || late.length > 0) t.diagnostic(`${await pm2!.output("listeners-a")}\n${await pm2!.output("listeners-b")}`);
  assert.deepEqual(ledger.missing(EVENTS), [], "none lost");
  assert.deepEqual(twice, [], "none handled twice");
  assert.deepEqual(late.map((record) => record.id), [], "none waited for ackWait");
});
