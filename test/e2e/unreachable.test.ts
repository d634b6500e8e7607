// NATS not there yet: register-listeners waits and retries (it must not crash-loop
// under pm2), never shows the password of the server URL, and starts working once
// the server comes up. One-shot commands fail fast with EB_ERR_CONNECT.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { EventBus } from "express-nats-events";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { LogLevels, ProcessGroup, connectTestBus, fixture, type LogLine, type TestProcess } from "../helpers/processes.js";
import { uniqueName } from "../helpers/unique.js";

const USER = "someuser";
const PASSWORD = "supersecret";

const group = new ProcessGroup();
let nats: NatsServer | undefined;
let bus: EventBus | undefined;

after(async () => {
  await bus?.close();
  await group.killAll();
  await nats?.stop();
});

/** The pino warnings of the connection retries (JSON lines on stdout). */
const retryLines = (process: TestProcess): LogLine[] => process.logs("retrying").filter((line) => line.code === "EB_ERR_CONNECT");

test("register-listeners keeps retrying an unreachable server without leaking the password, then becomes ready", async (t) => {
  const port = await freePort();
  const subject = `e2e.echo.${uniqueName("late-server")}`;
  const listener = group.cli(["register-listeners", fixture("echo.listener.js")], {
    name: "listener",
    ipc: true,
    env: { NATS_URL: `nats://${USER}:${PASSWORD}@127.0.0.1:${port}`, E2E_ECHO_SUBJECT: subject },
  });

  await listener.waitUntil(() => retryLines(listener).length >= 2, 10_000, "two connection retry warnings");
  assert.ok(listener.isRunning, "the process must wait for the server, not exit");
  const retries = retryLines(listener);
  for (const line of retries) {
    assert.equal(line.level, LogLevels.warn, JSON.stringify(line));
    assert.ok(line.msg.includes(`nats://***@127.0.0.1:${port}`), `the warning names the server (credentials hidden): ${JSON.stringify(line)}`);
    assert.equal(typeof line.attempt, "number");
  }

  nats = await startNatsServer({ port, user: USER, pass: PASSWORD, jetstream: false });
  await listener.waitForReady(15_000);
  bus = await connectTestBus(nats.url, { auth: { user: USER, pass: PASSWORD } });
  await bus.publish(subject, { id: "after-the-server-came-up" });
  await listener.waitForEvents("handled", 1, 10_000, (line) => line.id === "after-the-server-came-up");

  const leaked = listener.allLines.filter((line) => line.includes(PASSWORD));
  assert.deepEqual(leaked, [], "no output line may contain the password");
  t.diagnostic(`${retryLines(listener).length} retry warnings before the server started on port ${port}; first: ${JSON.stringify(retries[0])}`);
});

test("publish and request against an unreachable server exit 1 with EB_ERR_CONNECT naming the URL without the password", async () => {
  const port = await freePort();
  const url = `nats://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  const runs = await Promise.all([
    group.run(["publish", "e2e.unreachable", '{"a":1}'], { name: "publish (NATS_URL)", env: { NATS_URL: url } }),
    group.run(["request", "e2e.unreachable", '{"a":1}', "--server", url], { name: "request (--server)" }),
  ]);
  for (const run of runs) {
    assert.equal(run.exit?.code, 1, run.output());
    const message = run.stderrLines.join("\n");
    assert.match(message, /^nats-events: EB_ERR_CONNECT: cannot connect to NATS at /m, run.output());
    assert.ok(message.includes(`nats://***@127.0.0.1:${port}`), run.output());
    assert.deepEqual(run.allLines.filter((line) => line.includes(PASSWORD)), [], "no output line may contain the password");
  }
});

test("SIGTERM while still waiting for the server stops the retries and exits 0 at once", async (t) => {
  const port = await freePort();
  const listener = group.cli(["register-listeners", fixture("echo.listener.js")], {
    name: "listener (never connects)",
    ipc: true,
    env: { NATS_URL: `nats://127.0.0.1:${port}`, E2E_ECHO_SUBJECT: `e2e.echo.${uniqueName("never")}` },
  });
  await listener.waitUntil(() => retryLines(listener).length > 0, 10_000, "a connection retry warning");
  const signalledAt = Date.now();
  listener.signal("SIGTERM");
  const exit = await listener.waitForExit(3_000, "exit after SIGTERM while retrying");
  assert.deepEqual(exit, { code: 0, signal: null }, listener.output());
  assert.ok(!listener.messages.includes("ready"), "it never said ready");
  t.diagnostic(`exit 0 ${listener.exitedAt! - signalledAt} ms after SIGTERM during the retry wait`);
});
