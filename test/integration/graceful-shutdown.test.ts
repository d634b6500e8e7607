/**
 * gracefulShutdown() in a real Express app over a real nats-server, in this process: the
 * `exit` option records the exit code instead of ending the test run, and the signals are
 * real ones sent to this process (SIGUSR2, so the test runner's own SIGINT/SIGTERM stay untouched).
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, test } from "node:test";
import express from "express";
import { ErrorCodes, EventBus, gracefulShutdown } from "../../src/index.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { openRequest } from "../helpers/held-response.js";
import { Collector, waitFor } from "../helpers/unique.js";
import { capturingLogger, listenOnFreePort, type CapturedLine } from "./support.js";

const WAIT_MS = 10_000;
const TEST_OPTIONS = { timeout: 30_000 };

let nats: NatsServer | undefined;
before(async () => {
  nats = await startNatsServer({ jetstream: false });
});
after(async () => {
  await nats?.stop();
});

interface Setup {
  bus: EventBus;
  lines: CapturedLine[];
  server: http.Server;
  baseUrl: string;
  exits: Collector<number>;
  /** Releases the requests held by GET /hold. */
  release: () => void;
}

/** A connected bus and an app whose GET /hold sends its headers, then waits for release(). */
async function start(): Promise<Setup> {
  const { logger, lines } = capturingLogger();
  const bus = new EventBus();
  await bus.connect({ transport: "nats", servers: [nats!.url], env: {}, logger, metrics: false });
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const app = express();
  app.get("/hold", async (_req, res) => {
    res.status(200).flushHeaders();
    await held;
    res.end("done");
  });
  app.get("/ok", (_req, res) => void res.send("ok"));
  const { server, baseUrl } = await listenOnFreePort((port, host, ready) => app.listen(port, host, ready));
  // Far beyond the test timeout: an idle keep-alive socket that held the close would fail the test.
  server.keepAliveTimeout = 60_000;
  return { bus, lines, server, baseUrl, exits: new Collector<number>(), release };
}

test("idempotent, waits for the request in flight, closes idle keep-alive sockets, drains, then tears down, exit 0", TEST_OPTIONS, async () => {
  const { bus, lines, server, baseUrl, exits, release } = await start();
  const order: string[] = [];
  // timeoutMs beyond the test's timeout: only closing the keep-alive sockets lets the server close in time.
  const handle = gracefulShutdown(server, { bus, timeoutMs: 60_000, exit: exits.push, teardown: () => void order.push(`teardown (bus ${bus.status})`) });
  assert.equal(gracefulShutdown(server, { bus }), handle, "a second call returns the first handle");

  // Keep-alive clients that never close by themselves: one socket left idle, one busy at the stop.
  const idle = new http.Agent({ keepAlive: true });
  const busy = new http.Agent({ keepAlive: true });
  assert.equal(await (await openRequest("GET", `${baseUrl}/ok`, { agent: idle })).body, "ok");
  assert.equal(await (await openRequest("GET", `${baseUrl}/ok`, { agent: busy })).body, "ok");
  const inFlight = await openRequest("GET", `${baseUrl}/hold`, { agent: busy });
  const stopping = handle.shutdown();
  assert.equal(handle.shutdown(), stopping, "shutdown() runs once");
  await waitFor(() => !server.listening, WAIT_MS, "the server to stop accepting connections");
  assert.equal(bus.status, "connected", "the bus waits for the request in flight");
  release();
  assert.equal(await inFlight.body, "done");
  assert.equal(await stopping, 0);
  assert.deepEqual(await exits.waitForCount(1, WAIT_MS, "the exit"), [0]);
  assert.deepEqual(order, ["teardown (bus closed)"]);
  const messages = lines.map((line) => line.message);
  assert.deepEqual(
    messages.filter((message) => message.startsWith("stopping") || ["draining", "drained", "stopped cleanly"].includes(message)),
    ["stopping: closing the HTTP server and waiting for requests in flight", "draining", "drained", "stopped cleanly"],
  );
  assert.equal(exits.length, 1);
  idle.destroy();
  busy.destroy();
});

test("requests still running after timeoutMs: their connections are closed, EB_ERR_SHUTDOWN_TIMEOUT, the bus still drains, teardown runs, exit 1", TEST_OPTIONS, async () => {
  const { bus, lines, server, baseUrl, exits, release } = await start();
  let tornDown = false;
  const handle = gracefulShutdown(server, { bus, timeoutMs: 200, exit: exits.push, teardown: () => void (tornDown = true) });
  const stuck = await openRequest("GET", `${baseUrl}/hold`);
  assert.equal(await handle.shutdown(), 1);
  await assert.rejects(stuck.body, /the connection closed before the response ended/);
  const failed = lines.find((line) => line.message === "stopping: could not close the HTTP server");
  assert.ok(failed, JSON.stringify(lines.map((line) => line.text)));
  assert.equal((failed.fields as { code?: string }).code, ErrorCodes.SHUTDOWN_TIMEOUT);
  assert.match((failed.fields as { error: string }).error, /1 request\(s\) still running after the timeout of 200 ms/);
  assert.equal(bus.status, "closed");
  assert.ok(tornDown);
  assert.deepEqual(exits.items, [1]);
  assert.ok(lines.some((line) => line.level === "error" && line.message.startsWith("stopped with an error: 1 request(s) still running")));
  release();
});

test("signals: the first starts the stop; a second exits 130 at once, naming the step it cut short", TEST_OPTIONS, async () => {
  const { bus, lines, server, baseUrl, exits, release } = await start();
  const handle = gracefulShutdown(server, { bus, signals: ["SIGUSR2"], exit: exits.push });
  await openRequest("GET", `${baseUrl}/hold`);
  process.kill(process.pid, "SIGUSR2");
  await waitFor(() => !server.listening, WAIT_MS, "the first signal to close the server");
  const started = lines.find((line) => line.message.startsWith("stopping: closing the HTTP server"));
  assert.deepEqual(started?.fields, { signal: "SIGUSR2", timeoutMs: 10_000, requestsInFlight: 1 });
  process.kill(process.pid, "SIGUSR2");
  assert.deepEqual(await exits.waitForCount(1, WAIT_MS, "the forced exit"), [130]);
  const warning = lines.find((line) => line.level === "warn" && line.message.startsWith("second signal"));
  assert.equal(warning?.message, "second signal: exiting at once while closing the HTTP server, without waiting for it");
  assert.deepEqual(warning?.fields, { signal: "SIGUSR2", code: 130, stage: "closing the HTTP server", requestsInFlight: 1 });
  // Let the graceful stop finish, so nothing outlives the test.
  release();
  assert.equal(await handle.shutdown(), 0);
});
