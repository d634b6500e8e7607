/**
 * With an OpenTelemetry SDK installed (sdk-trace-base, an in-memory exporter and the
 * AsyncLocalStorage context manager, as a user's tracing setup would register them),
 * the bus creates real spans: a PRODUCER span per publish and a CONSUMER span per handled
 * message, with messaging semantic attributes, all in the trace the HTTP request started,
 * each the parent of the next hop. Over a real nats-server.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { after, before, describe, test } from "node:test";
import express from "express";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { injectable } from "tsyringe";
import { eventContext, EventBus, Listen, type MessageContext } from "../../src/index.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { Collector, uniqueName, waitFor } from "../helpers/unique.js";
import { listenOnFreePort, removeDir, silentLogger, tempCwd } from "./support.js";

const WAIT_MS = 10_000;
const PREFIX = uniqueName("otel");
const FIRST = `${PREFIX}.order.placed`;
const SECOND = `${PREFIX}.invoice.requested`;
const exporter = new InMemorySpanExporter();
const handledSecond = new Collector<{ id: string; traceparent: string | undefined }>();
let listenerBus: EventBus;

@injectable()
class PlacedListener {
  @Listen(FIRST, "billing")
  async onPlaced(data: { id: string; fail?: boolean }): Promise<void> {
    if (data.fail) throw Object.assign(new Error("billing is down"), { code: "BILLING_DOWN" });
    await listenerBus.publish(SECOND, { id: data.id });
  }
}

@injectable()
class InvoiceListener {
  @Listen(SECOND)
  onRequested(data: { id: string }, ctx: MessageContext): void {
    handledSecond.push({ id: data.id, traceparent: ctx.traceparent });
  }
}

let nats: NatsServer;
let cwd: string;
let webBus: EventBus;
let server: Server;
let baseUrl: string;
let provider: BasicTracerProvider;
const contextManager = new AsyncLocalStorageContextManager();

before(async () => {
  // What a user's tracing.js does before the app starts.
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);

  nats = await startNatsServer({ jetstream: false });
  cwd = await tempCwd("otel");
  const options = { transport: "nats" as const, servers: [nats.url], env: {}, cwd, logger: silentLogger, metrics: false };
  webBus = new EventBus();
  await webBus.connect(options);
  listenerBus = new EventBus();
  await listenerBus.connect(options);
  await listenerBus.listen([PlacedListener, InvoiceListener]);

  const app = express();
  app.use(eventContext());
  app.use(express.json());
  app.post("/orders", (req, res, next) => {
    webBus.publish(FIRST, req.body).then(() => res.status(202).json({}), next);
  });
  ({ server, baseUrl } = await listenOnFreePort((port, host, ready) => app.listen(port, host, ready)));
});

after(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await listenerBus?.drain();
  await webBus?.drain();
  await nats?.stop();
  await removeDir(cwd);
  await provider?.shutdown();
  trace.disable();
  context.disable();
});

const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe("OpenTelemetry spans (an SDK is registered)", () => {
  test("HTTP traceparent → publish (PRODUCER) → process (CONSUMER) → publish → process: one trace, each span the parent of the next", async (t) => {
    const traceId = randomBytes(16).toString("hex");
    const httpSpanId = randomBytes(8).toString("hex");
    const id = uniqueName("order");
    const response = await fetch(`${baseUrl}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${traceId}-${httpSpanId}-01`, "x-correlation-id": `corr-${id}` },
      body: JSON.stringify({ id }),
    });
    assert.equal(response.status, 202);
    const [handled] = await handledSecond.waitForCount(1, WAIT_MS, "the second hop");
    // The second hop's span ends right after its handler resolved: wait for it to be exported.
    await waitFor(() => spansOf(traceId).length === 4, WAIT_MS, "4 finished spans in the request's trace");

    const spans = spansOf(traceId);
    // Span names use bounded labels: the @Listen pattern this process knows (never ids of a concrete subject).
    const publishFirst = spans.find((s) => s.name === `publish ${FIRST}`)!;
    const processFirst = spans.find((s) => s.name === `process ${FIRST}`)!;
    const publishSecond = spans.find((s) => s.attributes["messaging.destination.name"] === SECOND && s.kind === SpanKind.PRODUCER)!;
    const processSecond = spans.find((s) => s.name === `process ${SECOND}`)!;
    assert.ok(publishFirst && processFirst && publishSecond && processSecond, spans.map((s) => s.name).join(", "));

    assert.equal(parentOf(publishFirst), httpSpanId, "the request's span is the parent of the first publish");
    assert.equal(parentOf(processFirst), publishFirst.spanContext().spanId);
    assert.equal(parentOf(publishSecond), processFirst.spanContext().spanId, "a publish inside a handler is a child of its process span");
    assert.equal(parentOf(processSecond), publishSecond.spanContext().spanId);
    assert.equal(handled!.traceparent, `00-${traceId}-${publishSecond.spanContext().spanId}-01`, "the NATS header carries the publish span as parent");

    assert.equal(publishFirst.kind, SpanKind.PRODUCER);
    assert.equal(processFirst.kind, SpanKind.CONSUMER);
    assert.deepEqual(
      { ...publishFirst.attributes },
      { "messaging.system": "nats", "messaging.operation.type": "send", "messaging.operation.name": "publish", "messaging.destination.name": FIRST, "messaging.message.conversation_id": `corr-${id}` },
    );
    assert.equal(processFirst.attributes["messaging.system"], "nats");
    assert.equal(processFirst.attributes["messaging.operation.type"], "process");
    assert.equal(processFirst.attributes["messaging.destination.name"], FIRST);
    assert.equal(processFirst.attributes["messaging.destination.subscription.name"], "PlacedListener.onPlaced");
    assert.equal(processFirst.attributes["messaging.consumer.group.name"], "billing");
    assert.equal(processFirst.attributes["messaging.message.conversation_id"], `corr-${id}`);
    assert.equal(processFirst.attributes["messaging.message.body.size"], JSON.stringify({ id }).length);
    assert.equal(processSecond.attributes["messaging.message.conversation_id"], `corr-${id}`, "the correlation id survives the second hop");
    for (const span of spans) assert.equal(span.status.code, SpanStatusCode.UNSET);
    t.diagnostic(`trace ${traceId}: ${spans.map((s) => `${s.name} (${SpanKind[s.kind]}, parent ${parentOf(s)})`).join(" → ")}`);
  });

  test("a failing handler's span has status ERROR, the exception and error.type", async () => {
    const traceId = randomBytes(16).toString("hex");
    await fetch(`${baseUrl}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` },
      body: JSON.stringify({ id: uniqueName("failing"), fail: true }),
    });
    await waitFor(() => spansOf(traceId).some((s) => s.kind === SpanKind.CONSUMER), WAIT_MS, "the consumer span of the failing handler");
    const failed = spansOf(traceId).find((s) => s.kind === SpanKind.CONSUMER)!;
    assert.equal(failed.status.code, SpanStatusCode.ERROR);
    assert.equal(failed.status.message, "billing is down");
    assert.equal(failed.attributes["error.type"], "BILLING_DOWN");
    assert.ok(failed.events.some((event) => event.name === "exception"), "the exception is recorded");
  });
});
