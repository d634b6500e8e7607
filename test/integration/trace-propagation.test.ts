/**
 * Correlation id and W3C trace context across a whole chain, over a real nats-server,
 * without any OpenTelemetry SDK: HTTP request (eventContext() middleware) → event →
 * listener (its context restored from the NATS headers) → second event → listener.
 * Run on Express 5 and Express 4.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { after, before, describe, test } from "node:test";
import express from "express";
import express4 from "express4";
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { injectable } from "tsyringe";
import { currentEventContext, eventContext, EventBus, Listen, type MessageContext } from "../../src/index.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { Collector, uniqueName } from "../helpers/unique.js";
import { listenOnFreePort, removeDir, silentLogger, tempCwd } from "./support.js";

const WAIT_MS = 10_000;
const FIRST = `${uniqueName("trace")}.order.placed`;
const SECOND = `${uniqueName("trace")}.invoice.requested`;

interface Seen {
  readonly hop: 1 | 2;
  readonly id: string;
  readonly correlationId: string;
  readonly traceparent: string | undefined;
  /** What currentEventContext() says inside the handler (what a service deep in the call would see). */
  readonly current: string | undefined;
}

const seen = new Collector<Seen>();
let listenerBus: EventBus;

@injectable()
class PlaceOrderListener {
  @Listen(FIRST)
  async onPlaced(data: { id: string }, ctx: MessageContext): Promise<void> {
    seen.push({ hop: 1, id: data.id, correlationId: ctx.correlationId, traceparent: ctx.traceparent, current: currentEventContext()?.correlationId });
    await new Promise((resolve) => setImmediate(resolve)); // the context survives an await
    await listenerBus.publish(SECOND, data); // no headers given: the context is carried on
  }
}

@injectable()
class InvoiceListener {
  @Listen(SECOND)
  onRequested(data: { id: string }, ctx: MessageContext): void {
    seen.push({ hop: 2, id: data.id, correlationId: ctx.correlationId, traceparent: ctx.traceparent, current: currentEventContext()?.correlationId });
  }
}

const traceId = () => randomBytes(16).toString("hex");
const spanId = () => randomBytes(8).toString("hex");
const traceIdOf = (traceparent: string | undefined) => traceparent?.split("-")[1];

let nats: NatsServer;
let cwd: string;
let webBus: EventBus;
let raw: NatsConnection;
const secondHopHeaders = new Collector<Record<string, string>>();

before(async () => {
  nats = await startNatsServer({ jetstream: false });
  cwd = await tempCwd("trace");
  const options = { transport: "nats" as const, servers: [nats.url], env: {}, cwd, logger: silentLogger, metrics: false };
  webBus = new EventBus();
  await webBus.connect(options);
  listenerBus = new EventBus();
  await listenerBus.connect(options);
  await listenerBus.listen([PlaceOrderListener, InvoiceListener]);
  raw = await connect({ servers: nats.url });
  raw.subscribe(SECOND, {
    callback: (err, msg: Msg) => {
      if (err) return;
      const headers: Record<string, string> = {};
      for (const key of msg.headers?.keys() ?? []) headers[key] = msg.headers!.get(key);
      secondHopHeaders.push(headers);
    },
  });
  await raw.flush();
});

after(async () => {
  await raw?.close();
  await listenerBus?.drain();
  await webBus?.drain();
  await nats?.stop();
  await removeDir(cwd);
});

/** Both hops of order `id`, once both arrived. */
async function hopsOf(id: string): Promise<{ first: Seen; second: Seen }> {
  for (let count = 1; ; count++) {
    await seen.waitForCount(count, WAIT_MS, `the hops of ${id}`);
    const first = seen.items.find((item) => item.id === id && item.hop === 1);
    const second = seen.items.find((item) => item.id === id && item.hop === 2);
    if (first && second) return { first, second };
  }
}

for (const flavour of [
  { name: "Express 5", app: () => express().use(eventContext()).use(express.json()) },
  { name: "Express 4", app: () => express4().use(express4.json()).use(eventContext()) },
]) {
  describe(`trace and correlation id: HTTP → event → listener → event (${flavour.name})`, () => {
    let server: Server;
    let baseUrl: string;

    before(async () => {
      // Structural: one test body for the app types of both majors.
      const app = flavour.app() as unknown as {
        post(path: string, handler: (req: { body: { id: string } }, res: { status(code: number): { json(body: unknown): void } }, next: (err?: unknown) => void) => void): void;
        listen(port: number, host: string, ready: () => void): Server;
      };
      app.post("/orders", (req, res, next) => {
        webBus.publish(FIRST, { id: req.body.id }).then(() => res.status(202).json({ id: req.body.id }), next);
      });
      ({ server, baseUrl } = await listenOnFreePort((port, host, ready) => app.listen(port, host, ready)));
    });

    after(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const post = (id: string, headers: Record<string, string> = {}) =>
      fetch(`${baseUrl}/orders`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ id }), signal: AbortSignal.timeout(WAIT_MS) });

    test("a traceparent and X-Correlation-Id set on the request arrive in the listener's context and in the second-hop event", async (t) => {
      const id = uniqueName("with-trace");
      const trace = traceId();
      const traceparent = `00-${trace}-${spanId()}-01`;
      const correlationId = `corr-${id}`;
      const response = await post(id, { traceparent, "x-correlation-id": correlationId });
      assert.equal(response.status, 202);
      assert.equal(response.headers.get("x-correlation-id"), correlationId, "the correlation id is echoed on the response");

      const { first, second } = await hopsOf(id);
      assert.deepEqual(first, { hop: 1, id, correlationId, traceparent, current: correlationId });
      assert.equal(second.correlationId, correlationId);
      assert.equal(second.current, correlationId);
      assert.equal(traceIdOf(second.traceparent), trace, "the second hop is in the same trace");
      const headers = await waitForHeaders(correlationId);
      assert.equal(traceIdOf(headers.traceparent), trace, "the second event's NATS headers carry the traceparent");
      t.diagnostic(`request traceparent ${traceparent} → hop 1 ${first.traceparent} → hop 2 ${second.traceparent}; correlation id ${correlationId} on both hops`);
    });

    test("without headers: a new correlation id (echoed on the response) follows the chain; no traceparent is invented", async () => {
      const id = uniqueName("no-headers");
      const response = await post(id);
      const correlationId = response.headers.get("x-correlation-id");
      assert.match(correlationId ?? "", /^[0-9a-f-]{36}$/);
      const { first, second } = await hopsOf(id);
      assert.equal(first.correlationId, correlationId);
      assert.equal(second.correlationId, correlationId);
      assert.equal(first.traceparent, undefined);
      assert.equal(second.traceparent, undefined);
    });

    test("an invalid traceparent is dropped, not propagated", async () => {
      const id = uniqueName("bad-trace");
      await post(id, { traceparent: "00-not-a-trace-01", "x-correlation-id": `corr-${id}` });
      const { first, second } = await hopsOf(id);
      assert.equal(first.traceparent, undefined);
      assert.equal(second.traceparent, undefined);
      assert.equal(second.correlationId, `corr-${id}`);
    });

    test("20 concurrent requests: every chain keeps its own ids (no context leaks between requests)", async () => {
      const requests = Array.from({ length: 20 }, (_, i) => ({ id: uniqueName(`parallel-${i}`), trace: traceId() }));
      await Promise.all(requests.map(({ id, trace }) => post(id, { traceparent: `00-${trace}-${spanId()}-01`, "x-correlation-id": `corr-${id}` })));
      for (const { id, trace } of requests) {
        const { first, second } = await hopsOf(id);
        assert.equal(first.correlationId, `corr-${id}`);
        assert.equal(second.correlationId, `corr-${id}`);
        assert.equal(traceIdOf(second.traceparent), trace);
      }
    });
  });
}

async function waitForHeaders(correlationId: string): Promise<Record<string, string>> {
  for (let count = 1; ; count++) {
    const items = await secondHopHeaders.waitForCount(count, WAIT_MS, `the second event with correlation id ${correlationId}`);
    const found = items.find((headers) => headers["X-Correlation-Id"] === correlationId);
    if (found) return found;
  }
}
