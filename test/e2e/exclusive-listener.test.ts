// Exclusive listeners (@Listen(subject, group, { exclusive: true })) with real register-listeners
// processes: of two processes in one group only one handles the messages, one at a time and in
// stream order; when it is SIGKILLed the other takes over after the exclusive timeout and goes on
// from where it stopped (what it had not acknowledged comes again, nothing acknowledged is lost);
// a SIGTERM (drain) hands over at once. On a server older than 2.11 the process does not start:
// EB_ERR_SERVER_VERSION naming the feature and both versions.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { test } from "node:test";
import type { EventBus, StreamOptions } from "express-nats-events";
import { createListenerProject } from "../helpers/listener-project.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { ProcessGroup, connectTestBus, fixture, undoAfterAll, type TestProcess } from "../helpers/processes.js";
import { serverWith, serverWithout, type ServerBinary } from "../helpers/server-versions.js";
import { uniqueName, waitFor } from "../helpers/unique.js";

const EXCLUSIVE_TIMEOUT_MS = 5_000;
const group = new ProcessGroup();
const cleanup = undoAfterAll(group);

async function setUp(server: ServerBinary) {
  const nats: NatsServer = await startNatsServer({ binary: server.binary });
  cleanup(() => nats.stop());
  const prefix = uniqueName("e2e-exclusive");
  const streams: StreamOptions[] = [{ name: uniqueName("EXCL").replaceAll("-", "_"), subjects: [`${prefix}.>`], storage: "memory" }];
  const dir = await createListenerProject("exclusive", { transport: "jetstream", streams, listeners: [fixture("exclusive.listener.js")], ackWaitMs: 5_000, logLevel: "info" });
  cleanup(() => rm(dir, { recursive: true, force: true }));
  const subject = `${prefix}.jobs`;
  const env = {
    NATS_URL: nats.url,
    E2E_EXCLUSIVE_SUBJECT: subject,
    E2E_EXCLUSIVE_GROUP: uniqueName("exclusive"),
    E2E_EXCLUSIVE_TIMEOUT_MS: String(EXCLUSIVE_TIMEOUT_MS),
    E2E_EXCLUSIVE_WORK_MS: "100",
  };
  const start = (name: string) => group.listeners([], { name, cwd: dir, env, readyTimeoutMs: 45_000 });
  const status = async () => {
    const run = await group.run(["status", "--json"], { name: "status", cwd: dir, env, timeoutMs: 45_000 });
    assert.equal(run.exit?.code, 0, run.output());
    const report = JSON.parse(run.stdoutLines.join("\n")) as { listeners: Array<{ listener: string; concurrency: number; exclusive?: boolean }>; streams: Array<{ consumers: Array<{ listeners: string[]; exclusive?: { pinId?: string } }> }> };
    const consumer = report.streams.flatMap((stream) => stream.consumers).find((c) => c.listeners.includes("ExclusiveMember.handle"));
    return { row: report.listeners.find((row) => row.listener === "ExclusiveMember.handle"), pinId: consumer?.exclusive?.pinId };
  };
  return { nats, dir, env, subject, streams, start, status };
}

const ids = (process_: TestProcess, event: "started" | "handled") => process_.events(event).map((line) => line.id as number);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index);

test("two processes in an exclusive group: one handles everything in order; SIGKILL → the other takes over where it stopped; SIGTERM → handed over at once, even with nobody standing by", { timeout: 180_000 }, async (t) => {
  const server = serverWith("exclusive listeners");
  if (typeof server === "string") return t.skip(server);
  t.diagnostic(`nats-server ${server.version} (${server.binary})`);
  const { nats, streams, subject, start, status } = await setUp(server);
  const bus: EventBus = await connectTestBus(nats.url, { transport: "jetstream", streams, metrics: false });
  cleanup(() => bus.close());
  const [first, second] = await Promise.all([start("member-1"), start("member-2")]);
  const members = [first, second];
  const handledAll = () => members.flatMap((member) => ids(member, "handled"));

  // Phase 1: 30 messages, handled by one process only, one at a time, in order.
  for (const id of range(0, 30)) await bus.publish(subject, { id });
  await waitFor(() => new Set(handledAll()).size === 30, 30_000, "30 handled").catch((err: Error) => {
    throw new Error(`${err.message}\n${group.output()}`);
  });
  const active = members.find((member) => ids(member, "handled").length > 0)!;
  const standby = members.find((member) => member !== active)!;
  assert.deepEqual(ids(active, "handled"), range(0, 30), "the active process handled every message once, in stream order");
  assert.deepEqual(ids(standby, "started"), [], "the standby handled nothing");
  assert.deepEqual(ids(active, "started"), range(0, 30), "one at a time: each started after the one before was handled");
  const becameActive = await active.waitForLog("active in its exclusive group: this process handles the group's messages now", 5_000);
  const shown = await status();
  assert.deepEqual(shown.row && [shown.row.concurrency, shown.row.exclusive], [1, true], "status lists the listener as exclusive, concurrency 1");
  assert.equal(shown.pinId, becameActive.pinId, "status shows the pin the active process logged");

  // Phase 2: SIGKILL the active process in the middle of a burst.
  for (const id of range(30, 60)) await bus.publish(subject, { id });
  await active.waitForEvents("started", 35, 30_000);
  await active.kill();
  const killedAt = performance.now();
  const ackedByKilled = ids(active, "handled");
  await standby.waitForEvents("started", 1, EXCLUSIVE_TIMEOUT_MS + 30_000);
  const takeoverMs = performance.now() - killedAt;
  await waitFor(() => new Set(handledAll()).size === 60, 30_000, "60 handled").catch((err: Error) => {
    throw new Error(`${err.message}\n${group.output()}`);
  });
  const takenOver = ids(standby, "handled");
  const resumeAt = ackedByKilled.at(-1)! + 1;
  assert.deepEqual(takenOver, range(resumeAt, 60), `the standby went on right after the last message the killed process handled (${resumeAt - 1}), in order`);
  assert.deepEqual([...new Set(handledAll())].sort((a, b) => a - b), range(0, 60), "nothing was lost");
  t.diagnostic(`SIGKILL of the active process → the standby started its first message after ${Math.round(takeoverMs)} ms (exclusiveTimeoutMs ${EXCLUSIVE_TIMEOUT_MS})`);

  // Phase 3: a new standby; SIGTERM the active one (drain) → it finishes its message and hands over at once.
  const third = await start("member-3");
  for (const id of range(60, 90)) await bus.publish(subject, { id });
  await standby.waitForEvents("started", takenOver.length + 5, 30_000);
  standby.signal("SIGTERM");
  const drainedAt = performance.now();
  const exit = await standby.waitForExit(30_000, "a clean exit after SIGTERM");
  assert.deepEqual(exit, { code: 0, signal: null }, standby.output());
  await third.waitForEvents("started", 1, EXCLUSIVE_TIMEOUT_MS + 30_000);
  const handoverMs = performance.now() - drainedAt;
  await waitFor(() => new Set([...handledAll(), ...ids(third, "handled")]).size === 90, 30_000, "90 handled").catch((err: Error) => {
    throw new Error(`${err.message}\n${group.output()}`);
  });
  const beforeDrain = ids(standby, "handled");
  assert.deepEqual(ids(standby, "started"), beforeDrain, "the draining process finished what it started and started nothing more");
  assert.deepEqual(ids(third, "handled"), range(beforeDrain.at(-1)! + 1, 90), "the next process went on right after it, in order, with no duplicate");
  t.diagnostic(`SIGTERM of the active process → the next one started its first message after ${Math.round(handoverMs)} ms (drain gives up the pin)`);

  // Phase 4: the last process drains with nobody standing by; a process started afterwards is served at once, not after the timeout.
  third.signal("SIGTERM");
  assert.deepEqual(await third.waitForExit(30_000, "a clean exit after SIGTERM"), { code: 0, signal: null }, third.output());
  const fourth = await start("member-4");
  const publishedAt = performance.now();
  await bus.publish(subject, { id: 90 });
  await fourth.waitForEvents("handled", 1, EXCLUSIVE_TIMEOUT_MS + 30_000);
  assert.deepEqual(ids(fourth, "handled"), [90]);
  t.diagnostic(`after the last process drained alone, a new one handled a new message ${Math.round(performance.now() - publishedAt)} ms after it was published`);
});

test("on a server older than 2.11 an exclusive listener does not start: EB_ERR_SERVER_VERSION naming the feature and both versions", { timeout: 60_000 }, async (t) => {
  const server = serverWithout("exclusive listeners");
  if (typeof server === "string") return t.skip(server);
  t.diagnostic(`nats-server ${server.version} (${server.binary})`);
  const { dir, env } = await setUp(server);
  const run = await group.run(["register-listeners"], { name: "register-listeners (old server)", cwd: dir, env, timeoutMs: 45_000 });
  assert.notEqual(run.exit?.code, 0, run.output());
  const output = run.output(200);
  assert.match(output, /EB_ERR_SERVER_VERSION/, output);
  assert.match(output, new RegExp(`exclusive listeners \\(ExclusiveMember\\.handle\\) needs nats-server 2\\.11\\.0 or later; the connected server is nats-server ${server.version.replaceAll(".", "\\.")}`), output);
});
