// The register-listeners health endpoint, as pm2 scripts and Kubernetes probes use it:
// /livez answers as long as the process runs; /readyz is 200 only while the process is
// connected and every subscription is active, and flips to 503 when the NATS server
// goes away and back to 200 when it returns. A taken port fails the start loudly.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { ProcessGroup, connectTestBus, fixture, requestUntilAnswered } from "../helpers/processes.js";
import { pollUntil, probe } from "../helpers/prometheus.js";
import { uniqueName } from "../helpers/unique.js";

const group = new ProcessGroup();
let nats: NatsServer | undefined;

after(async () => {
  await group.killAll();
  await nats?.stop();
});

test("readiness: not ready before the server exists, ready once subscribed, not ready while the server is away, ready again when it returns; liveness stays 200", async (t) => {
  const natsPort = await freePort();
  const healthPort = await freePort();
  const base = `http://127.0.0.1:${healthPort}`;
  const subject = `e2e.health.${uniqueName("ready")}`;
  const listener = group.cli(["register-listeners", fixture("echo.listener.js")], {
    name: "listener",
    ipc: true,
    env: {
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      NATS_RECONNECT_WAIT_MS: "100",
      NATS_EVENTS_HEALTH_PORT: String(healthPort),
      NATS_EVENTS_HEALTH_HOST: "127.0.0.1",
      E2E_ECHO_SUBJECT: subject,
    },
  });
  const endpoint = await listener.waitForLog("health endpoint listening", 10_000);
  assert.equal(endpoint.url, base);

  // No server yet: the process is alive (it waits and retries) but not ready.
  const waiting = await probe(`${base}/readyz`);
  assert.equal(waiting.status, 503);
  assert.equal(waiting.body.status, "not ready");
  assert.equal(waiting.body.listening, false);
  assert.equal((await probe(`${base}/livez`)).status, 200);

  nats = await startNatsServer({ port: natsPort, jetstream: false });
  await listener.waitForReady(15_000);
  const ready = await probe(`${base}/readyz`);
  assert.equal(ready.status, 200, JSON.stringify(ready.body));
  assert.equal(ready.body.status, "ready");
  assert.equal(ready.body.bus, "connected");
  assert.deepEqual(ready.body.listeners, [{ listener: "EchoListener.handle", subject, active: true }]);

  // The server goes away: not ready (the process stays alive and keeps reconnecting).
  await nats.stop();
  nats = undefined;
  const down = await pollUntil(() => probe(`${base}/readyz`), (r) => r.status === 503, 10_000, "/readyz to answer 503 after the server stopped");
  assert.equal(down.body.bus, "reconnecting");
  assert.equal(down.body.status, "not ready");
  const alive = await probe(`${base}/livez`);
  assert.equal(alive.status, 200);
  assert.equal(alive.body.pid, listener.pid);

  // It returns on the same port: ready again, the reconnect counted, and the subscription works.
  nats = await startNatsServer({ port: natsPort, jetstream: false });
  const back = await pollUntil(() => probe(`${base}/readyz`), (r) => r.status === 200, 15_000, "/readyz to answer 200 after the server returned");
  assert.equal(back.body.reconnects, 1);
  const bus = await connectTestBus(nats.url);
  try {
    await requestUntilAnswered(bus, subject, 15_000, "after-the-return");
    await listener.waitForEvents("handled", 1, 5_000, (line) => String(line.id).startsWith("after-the-return"));
  } finally {
    await bus.close();
  }
  assert.ok(listener.logs("connection lost, reconnecting").length >= 1, "the loss was logged");
  assert.equal(listener.logs("reconnected").length, 1, "the reconnect was logged once");

  // Draining (SIGTERM): not ready any more while the handlers finish, then the process exits 0.
  listener.signal("SIGTERM");
  const exit = await listener.waitForExit(10_000);
  assert.deepEqual(exit, { code: 0, signal: null }, listener.output());
  t.diagnostic(`readyz: 503 (waiting) → 200 → 503 (${String(down.body.bus)}) → 200 (reconnects ${String(back.body.reconnects)}); livez 200 throughout`);
});

test("a health port that is taken: exit 1 with EB_ERR_HEALTH_SERVER before connecting", async () => {
  const taken = await freePort();
  const blocker = (await import("node:net")).createServer().listen(taken, "127.0.0.1");
  await new Promise((resolve) => blocker.once("listening", resolve));
  try {
    const run = await group.run(["register-listeners", fixture("echo.listener.js")], {
      name: "listener (port taken)",
      env: { NATS_URL: "nats://127.0.0.1:1", NATS_EVENTS_HEALTH_PORT: String(taken), NATS_EVENTS_HEALTH_HOST: "127.0.0.1", E2E_ECHO_SUBJECT: "e2e.health.taken" },
    });
    assert.equal(run.exit?.code, 1, run.output());
    assert.match(run.stderrLines.join("\n"), new RegExp(`^nats-events: EB_ERR_HEALTH_SERVER: cannot serve the health endpoint on 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE`, "m"));
    assert.equal(run.logs("retrying").length, 0, "it did not try to connect");
  } finally {
    blocker.close();
  }
});
