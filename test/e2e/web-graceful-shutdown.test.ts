// The web process under `pm2 stop` (real pm2, its own PM2_HOME): a request that publishes, in
// flight when the stop signal arrives, completes and its event is stored in the stream;
// an idle keep-alive connection does not hold the process; it exits by itself, cleanly.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { Pm2 } from "../helpers/pm2.js";
import { ROOT, fixture } from "../helpers/processes.js";
import { openRequest } from "../helpers/held-response.js";
import { uniqueName } from "../helpers/unique.js";

const WAIT_MS = 20_000;
// Far above what the stop needs: reaching it would mean the process did not exit by itself.
const KILL_TIMEOUT_MS = 15_000;

let nats: NatsServer | undefined;
const daemons: Pm2[] = [];
let raw: NatsConnection | undefined;

before(async () => {
  nats = await startNatsServer();
  raw = await connect({ servers: nats.url });
});

after(async () => {
  await Promise.all(daemons.map((daemon) => daemon.kill()));
  await raw?.close();
  await nats?.stop();
});

// pm2's own signal (SIGINT), and the one Kubernetes and systemd send (SIGTERM, through PM2_KILL_SIGNAL).
for (const killSignal of [undefined, "SIGTERM"] as const) {
  test(`pm2 stop (${killSignal ?? "pm2's default signal"}): a request in flight that publishes completes, its event is stored, the process exits cleanly`, async (t) => {
    const name = uniqueName("web");
    const stream = uniqueName("WEB").toUpperCase().replace(/-/g, "_");
    const subject = `web.${uniqueName("stop")}`;
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const pm2 = await Pm2.start({ killSignal });
    daemons.push(pm2);
    await pm2.startApps([
      {
        name,
        script: fixture("web-publisher.js"),
        cwd: ROOT,
        env: { NATS_URL: nats!.url, PORT: String(port), E2E_WEB_STREAM: stream, E2E_WEB_SUBJECT: subject },
        wait_ready: true,
        listen_timeout: WAIT_MS,
        kill_timeout: KILL_TIMEOUT_MS,
        autorestart: false,
      },
    ]);
    // pm2 start returned after the app's "ready" (wait_ready): it listens.
    // One keep-alive connection left idle, one request held in flight by the route.
    const idle = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const busy = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const health = await openRequest("GET", `${baseUrl}/healthz`, { agent: idle });
    assert.equal(health.status, 200);
    await health.body;
    const response = await openRequest("POST", `${baseUrl}/orders/order-1`, { agent: busy });
    assert.equal(response.status, 200);

    await pm2.run(["stop", name], KILL_TIMEOUT_MS + WAIT_MS);

    const body = JSON.parse(await response.body) as { stream: string; seq: number; duplicate: boolean; signal: string };
    assert.equal(body.stream, stream, JSON.stringify(body));
    assert.equal(body.duplicate, false);
    assert.equal(response.headers.connection, "keep-alive", "the request was in flight (headers sent) before the stop");
    const jsm = await jetstreamManager(raw!);
    const stored = await jsm.streams.getMessage(stream, { seq: body.seq });
    assert.ok(stored, `${stream}#${body.seq} is not in the stream`);
    assert.equal(stored.subject, `${subject}.order-1`);
    assert.deepEqual(stored.json(), { id: "order-1" });
    assert.equal(stored.header.get("Nats-Msg-Id"), "order-1");

    const stopped = (await pm2.list()).find((entry) => entry.name === name);
    assert.equal(stopped?.status, "stopped");
    const logs = await pm2.logLines(name);
    const messages = logs.map((line) => line.msg).filter((msg) => typeof msg === "string");
    const steps = ["stopping: closing the HTTP server and waiting for requests in flight", "draining", "drained", "stopped cleanly"];
    assert.deepEqual(messages.filter((msg) => steps.includes(msg as string)), steps, await pm2.output(name));
    const stopping = logs.find((line) => line.msg === steps[0])!;
    assert.equal(stopping.requestsInFlight, 1, "the held request was counted as in flight");
    assert.equal(stopping.signal, body.signal, "the stop came from pm2's signal");
    assert.equal(body.signal, killSignal ?? "SIGINT");
    assert.ok(!logs.some((line) => Number(line.level) >= 50), `an error was logged\n${await pm2.output(name)}`);
    idle.destroy();
    busy.destroy();
    const stopMs = Number(logs.find((line) => line.msg === "stopped cleanly")!.time) - Number(stopping.time);
    t.diagnostic(`pm2 sent ${body.signal}; the held request published ${stream}#${body.seq} and got its answer; signal to "stopped cleanly" in ${stopMs} ms; pm2 shows it stopped`);
  });
}
