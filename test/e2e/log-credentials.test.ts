// Structured logs of a real register-listeners process, at debug level, connecting with
// user/password and with a token (environment and URL userinfo): one JSON line per
// lifecycle event and per handled message, and no line anywhere (logs, probes, metrics)
// carries a credential, through connect, reconnect, handling and drain.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { LogLevels, ProcessGroup, connectTestBus, fixture, requestUntilAnswered, type TestProcess } from "../helpers/processes.js";
import { uniqueName, waitFor } from "../helpers/unique.js";

const USER = "ops-user";
const PASSWORD = uniqueName("pw-SECRET");
const TOKEN = uniqueName("tok-SECRET");

const group = new ProcessGroup();
const servers: NatsServer[] = [];

after(async () => {
  await group.killAll();
  await Promise.all(servers.map((server) => server.stop()));
});

/** Runs one listener through connect → handle → server restart → reconnect → drain, and returns it (exited). */
async function lifecycle(server: NatsServer, env: Record<string, string>, auth: { user?: string; pass?: string; token?: string }, secret: string): Promise<{ listener: TestProcess; probes: string }> {
  const subject = `e2e.logs.${uniqueName("creds")}`;
  const healthPort = await freePort();
  const listener = await group.listeners([fixture("echo.listener.js")], {
    name: `listener (${Object.keys(auth).join("+")})`,
    env: { ...env, NATS_EVENTS_LOG_LEVEL: "debug", NATS_RECONNECT_WAIT_MS: "100", E2E_ECHO_SUBJECT: subject, NATS_EVENTS_HEALTH_PORT: String(healthPort), NATS_EVENTS_HEALTH_HOST: "127.0.0.1" },
  });
  const bus = await connectTestBus(server.url, { auth, metrics: false, reconnect: { waitMs: 100, jitterMs: 0 } });
  try {
    await bus.publish(subject, { id: "one" }, { headers: { "X-Correlation-Id": "corr-creds-1" } });
    await listener.waitForLog("handled", 10_000, (line) => line.correlationId === "corr-creds-1");
    await server.restart();
    await listener.waitForLog("reconnected", 15_000);
    await waitFor(() => bus.status === "connected", 15_000, "the test bus to reconnect too");
    // Core NATS keeps nothing: until the listener's re-subscription reached the server, a publish
    // could be lost. A request is answered only once it was handled: retry until one is.
    await requestUntilAnswered(bus, subject, 15_000);
  } finally {
    await bus.close();
  }
  const base = `http://127.0.0.1:${healthPort}`;
  const probes = (await Promise.all(["/livez", "/readyz", "/metrics"].map((p) => fetch(base + p).then((r) => r.text())))).join("\n");
  listener.signal("SIGTERM");
  assert.equal((await listener.waitForExit(10_000)).code, 0, listener.output());
  assert.ok(!probes.includes(secret), "no credential in /livez, /readyz or /metrics");
  return { listener, probes };
}

function assertLifecycleLines(listener: TestProcess, servers: string): void {
  const logs = listener.logs();
  const connected = logs.find((line) => line.msg === "connected");
  assert.ok(connected, listener.output());
  assert.equal(connected.servers, servers, "the server is named, credentials hidden");
  for (const msg of ["subscribed", "ready", "connection lost, reconnecting", "reconnected", "draining", "drained", "stopped cleanly"]) {
    assert.ok(logs.some((line) => line.msg.startsWith(msg)), `no "${msg}" line\n${listener.output()}`);
  }
  const handled = logs.filter((line) => line.msg === "handled");
  assert.ok(handled.length >= 2, "both messages were handled");
  assert.equal(handled.length, listener.events("handled").length, "every handled message has its debug line");
  for (const line of handled) assert.equal(line.level, LogLevels.debug);
  assert.equal(handled[0]!.correlationId, "corr-creds-1", "the correlation id of the message is on its lines");
  for (const line of logs) assert.equal(line.name, "nats-events");
}

describe("no credentials in any log line", () => {
  test("user/password from NATS_USER/NATS_PASSWORD and from the URL's userinfo", async (t) => {
    const server = await startNatsServer({ user: USER, pass: PASSWORD, jetstream: false });
    servers.push(server);
    const fromEnv = await lifecycle(server, { NATS_URL: server.url, NATS_USER: USER, NATS_PASSWORD: PASSWORD }, { user: USER, pass: PASSWORD }, PASSWORD);
    assertLifecycleLines(fromEnv.listener, server.url);
    const fromUrl = await lifecycle(server, { NATS_URL: `nats://${USER}:${PASSWORD}@127.0.0.1:${server.port}` }, { user: USER, pass: PASSWORD }, PASSWORD);
    assertLifecycleLines(fromUrl.listener, `nats://***@127.0.0.1:${server.port}`);
    for (const listener of [fromEnv.listener, fromUrl.listener]) {
      assert.deepEqual(listener.allLines.filter((line) => line.includes(PASSWORD)), [], "no output line contains the password");
    }
    t.diagnostic(`${fromEnv.listener.allLines.length + fromUrl.listener.allLines.length} output lines, none with the password`);
  });

  test("token from NATS_TOKEN and from the URL (nats://TOKEN@host)", async (t) => {
    const server = await startNatsServer({ token: TOKEN, jetstream: false });
    servers.push(server);
    const fromEnv = await lifecycle(server, { NATS_URL: server.url, NATS_TOKEN: TOKEN }, { token: TOKEN }, TOKEN);
    assertLifecycleLines(fromEnv.listener, server.url);
    const fromUrl = await lifecycle(server, { NATS_URL: `nats://${TOKEN}@127.0.0.1:${server.port}` }, { token: TOKEN }, TOKEN);
    assertLifecycleLines(fromUrl.listener, `nats://***@127.0.0.1:${server.port}`);
    for (const listener of [fromEnv.listener, fromUrl.listener]) {
      assert.deepEqual(listener.allLines.filter((line) => line.includes(TOKEN)), [], "no output line contains the token");
    }
    t.diagnostic(`${fromEnv.listener.allLines.length + fromUrl.listener.allLines.length} output lines, none with the token`);
  });
});
