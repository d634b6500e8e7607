// Graceful stop of register-listeners as pm2 does it: SIGTERM during a burst
// drains (handlers in flight finish, exit 0 within the drain timeout); a second
// signal during the drain exits at once.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { EventBus } from "express-nats-events";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { LogLevels, ProcessGroup, connectTestBus, fixture } from "../helpers/processes.js";
import { uniqueName } from "../helpers/unique.js";

// Below pm2's kill_timeout (12 s in ecosystem.config.js).
const DRAIN_TIMEOUT_MS = 8_000;
const DRAINING_LINE = "stopping: draining subscriptions and waiting for handlers in flight";

const group = new ProcessGroup();
let nats: NatsServer | undefined;
let bus: EventBus | undefined;

before(async () => {
  nats = await startNatsServer({ jetstream: false });
  bus = await connectTestBus(nats.url);
});

after(async () => {
  await bus?.close();
  await group.killAll();
  await nats?.stop();
});

const ids = (lines: Array<Record<string, unknown>>) => lines.map((line) => line.id as number).sort((a, b) => a - b);

test("SIGTERM during a burst: every started handler finishes, exit 0 within the drain timeout", async (t) => {
  const subject = `e2e.slow.${uniqueName("burst")}`;
  const listener = await group.listeners([fixture("slow.listener.js")], {
    name: "slow-listener",
    env: { NATS_URL: nats!.url, NATS_DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS), E2E_SLOW_SUBJECT: subject, E2E_SLOW_WORK_MS: "300", E2E_SLOW_CONCURRENCY: "50" },
  });
  for (let id = 0; id < 100; id++) await bus!.publish(subject, { id });
  await listener.waitForEvents("started", 1, 10_000);

  const signalledAt = Date.now();
  const startedAtSignal = listener.events("started").length;
  const finishedAtSignal = listener.events("finished").length;
  listener.signal("SIGTERM");
  const exit = await listener.waitForExit(DRAIN_TIMEOUT_MS + 2_000, "exit after SIGTERM");
  const exitMs = listener.exitedAt! - signalledAt;

  assert.deepEqual(exit, { code: 0, signal: null }, listener.output());
  assert.ok(exitMs < DRAIN_TIMEOUT_MS, `exit took ${exitMs} ms, drain timeout ${DRAIN_TIMEOUT_MS} ms`);
  const started = ids(listener.events("started"));
  const finished = ids(listener.events("finished"));
  assert.equal(new Set(started).size, started.length, "no message started twice");
  assert.deepEqual(finished, started, "every handler that started also finished");
  // The drain really waited: handlers finished after the process logged that it was stopping.
  const drainingAt = listener.allLines.findIndex((line) => line.includes(DRAINING_LINE));
  const finishedWhileDraining = listener.allLines.slice(drainingAt + 1).filter((line) => line.includes('"event":"finished"')).length;
  assert.ok(drainingAt >= 0 && finishedWhileDraining > 0, `no handler finished during the drain\n${listener.output()}`);
  assert.ok(listener.logs(DRAINING_LINE).some((line) => line.signal === "SIGTERM" && line.level === LogLevels.info), `no draining line\n${listener.output()}`);
  assert.ok(listener.logs("stopped cleanly").some((line) => line.level === LogLevels.info), `no "stopped cleanly" line\n${listener.output()}`);
  // One line per lifecycle step of the drain, in order.
  const steps = listener.logs().map((line) => line.msg).filter((msg) => [DRAINING_LINE, "draining", "drained", "stopped cleanly"].includes(msg));
  assert.deepEqual(steps, [DRAINING_LINE, "draining", "drained", "stopped cleanly"], listener.output());
  assert.equal(listener.stderrLines.filter((line) => line.trim()).length, 0, `unexpected stderr:\n${listener.stderrLines.join("\n")}`);
  t.diagnostic(
    `at SIGTERM: ${startedAtSignal} started, ${finishedAtSignal} finished; after drain: ${started.length} started = ${finished.length} finished, ` +
      `${finishedWhileDraining} of them during the drain ` +
      `(of 100 published); exit 0 after ${exitMs} ms`,
  );
});

test("a second SIGTERM during the drain exits at once with a non-zero code", async (t) => {
  const subject = `e2e.slow.${uniqueName("second-signal")}`;
  const listener = await group.listeners([fixture("slow.listener.js")], {
    name: "slow-listener-2",
    // Handlers outlast the test: the drain cannot finish by itself while we look.
    env: { NATS_URL: nats!.url, NATS_DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS), E2E_SLOW_SUBJECT: subject, E2E_SLOW_WORK_MS: "20000", E2E_SLOW_CONCURRENCY: "50" },
  });
  for (let id = 0; id < 20; id++) await bus!.publish(subject, { id });
  await listener.waitForEvents("started", 1, 10_000);
  listener.signal("SIGTERM");
  await listener.waitForLog(DRAINING_LINE, 5_000);
  assert.ok(listener.isRunning, "still draining after the first SIGTERM");

  const secondAt = Date.now();
  listener.signal("SIGTERM");
  const exit = await listener.waitForExit(2_000, "an immediate exit after the second SIGTERM");
  const exitMs = listener.exitedAt! - secondAt;
  assert.notEqual(exit.code, 0, `exit ${JSON.stringify(exit)}`);
  assert.equal(exit.code, 130);
  assert.ok(listener.logs("second signal: exiting without waiting for handlers").some((line) => line.level === LogLevels.warn && line.signal === "SIGTERM"), listener.output());
  assert.equal(listener.events("finished").length, 0, "no handler could finish: the process did not wait for them");
  t.diagnostic(`${listener.events("started").length} handlers in flight; exit code ${exit.code} ${exitMs} ms after the second SIGTERM`);
});
