// Prometheus metrics of a real register-listeners process on JetStream, scraped from its
// health endpoint (/metrics) and parsed: the counters move exactly as the messages'
// fates say (success, failure, retry, dead letter, poison), the consumer gauges are
// sampled, and the web-side bus counts its publishes in its own registry.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { Registry } from "prom-client";
import type { EventBus, StreamOptions } from "express-nats-events";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { ProcessGroup, connectTestBus, fixture, type TestProcess } from "../helpers/processes.js";
import { parsePrometheus, pollUntil, sampleValue, scrape, type Sample } from "../helpers/prometheus.js";
import { uniqueName } from "../helpers/unique.js";

const group = new ProcessGroup();
const PREFIX = uniqueName("e2e-metrics");
const SUBJECT = `${PREFIX}.order`;
const STREAM = uniqueName("METRICS").replaceAll("-", "_");
const LISTENER = "FlakyListener.handle";
const registry = new Registry();
let nats: NatsServer | undefined;
let bus: EventBus | undefined;
let dir: string | undefined;
let config: string;
let listener: TestProcess;
let metricsUrl: string;

before(async () => {
  nats = await startNatsServer();
  dir = await mkdtemp(path.join(os.tmpdir(), "nats-events-metrics-"));
  config = path.join(dir, "nats-events.config.mjs");
  const streams: StreamOptions[] = [{ name: STREAM, subjects: [`${PREFIX}.>`], storage: "memory" }];
  const retry = { maxDeliver: 3, initialDelayMs: 20, maxDelayMs: 50 };
  const options = {
    transport: "jetstream",
    streams,
    retry,
    metricsIntervalMs: 100,
    listeners: [fixture("flaky.listener.js")],
  };
  await writeFile(config, `export default ${JSON.stringify(options, null, 2)};\n`);
  const healthPort = await freePort();
  metricsUrl = `http://127.0.0.1:${healthPort}/metrics`;
  listener = await group.listeners(["--config", config], {
    name: "flaky-listener",
    env: { NATS_URL: nats.url, E2E_FLAKY_SUBJECT: SUBJECT, NATS_EVENTS_HEALTH_PORT: String(healthPort), NATS_EVENTS_HEALTH_HOST: "127.0.0.1" },
  });
  bus = await connectTestBus(nats.url, { transport: "jetstream", streams, retry, metricsRegistry: registry });
});

after(async () => {
  await bus?.close();
  await group.killAll();
  await nats?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const value = (samples: readonly Sample[], name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, { subject: SUBJECT, listener: LISTENER, ...labels });

test("handled, failed, retried and dead-lettered counters, the duration histogram and the in-flight gauge follow each message's fate", async (t) => {
  // Before any message: the listener's series exist at zero, the connection is "connected".
  const initial = await scrape(metricsUrl);
  assert.equal(value(initial, "nats_events_handled_total"), 0);
  assert.equal(value(initial, "nats_events_retried_total"), 0);
  assert.equal(sampleValue(initial, "nats_events_connection_status", { status: "connected" }), 1);
  assert.equal(sampleValue(initial, "nats_events_connection_status", { status: "reconnecting" }), 0);
  assert.ok(initial.some((s) => s.name === "process_cpu_user_seconds_total"), "process metrics are served too");

  const messages = [
    ...["ok-1", "ok-2", "ok-3", "ok-4", "ok-5"].map((id) => ({ id, mode: "ok" })),
    { id: "once-1", mode: "once" }, // fails, retried, then handled
    { id: "once-2", mode: "once" },
    { id: "always-1", mode: "always" }, // 3 deliveries (maxDeliver), then dead letter
    { id: "non-retryable-1", mode: "non-retryable" }, // dead letter at once
  ];
  for (const message of messages) await bus!.publish(SUBJECT, message);
  await bus!.transport.publish(SUBJECT, new TextEncoder().encode("{not json")); // poison: never reaches the handler

  // Three messages end as dead letters; each one logs a "dead-lettered" line once the copy is stored.
  await listener.waitUntil(() => listener.logs("dead-lettered").length >= 3, 15_000, "three dead-lettered log lines");
  await listener.waitForEvents("attempt", 5 + 2 * 2 + 3 + 1, 15_000);

  const samples = await scrape(metricsUrl);
  assert.equal(value(samples, "nats_events_handled_total"), 7, "5 ok + 2 that succeeded on their second delivery");
  assert.equal(value(samples, "nats_events_failed_total", { reason: "handler-error" }), 2 + 3 + 1, "once ×2, always ×3, non-retryable ×1");
  assert.equal(value(samples, "nats_events_failed_total", { reason: "undecodable" }), 1);
  assert.equal(value(samples, "nats_events_retried_total"), 2 + 2, "once ×2 retried once each, always retried twice before its last delivery");
  assert.equal(value(samples, "nats_events_dead_lettered_total", { reason: "max-deliveries" }), 1);
  assert.equal(value(samples, "nats_events_dead_lettered_total", { reason: "non-retryable" }), 1);
  assert.equal(value(samples, "nats_events_dead_lettered_total", { reason: "undecodable" }), 1);
  assert.equal(value(samples, "nats_events_handler_duration_seconds_count", { outcome: "success" }), 7);
  assert.equal(value(samples, "nats_events_handler_duration_seconds_count", { outcome: "error" }), 6, "the poison message never ran the handler");
  assert.equal(value(samples, "nats_events_handler_duration_seconds_bucket", { outcome: "success", le: "+Inf" }), 7);
  assert.equal(value(samples, "nats_events_handlers_in_flight"), 0);
  // Label values stay bounded: the subject label is the @Listen pattern, never a message's own subject with ids.
  const subjects = new Set(samples.filter((s) => s.name.startsWith("nats_events_") && s.labels.subject !== undefined).map((s) => s.labels.subject));
  assert.deepEqual([...subjects], [SUBJECT]);

  // The consumer gauges are sampled every 100 ms: everything settled, nothing pending.
  const settled = await pollUntil(
    () => scrape(metricsUrl),
    (now) => sampleValue(now, "nats_events_consumer_pending_messages", { stream: STREAM }) === 0 && sampleValue(now, "nats_events_consumer_ack_pending_messages", { stream: STREAM }) === 0,
    10_000,
    "the consumer gauges of the settled consumer",
  );
  const consumer = settled.find((s) => s.name === "nats_events_consumer_pending_messages" && s.labels.stream === STREAM)!.labels.consumer;
  assert.match(consumer!, /^flaky-workers__/);
  assert.equal(sampleValue(settled, "nats_events_consumer_redelivered_messages", { stream: STREAM }), 0);

  // The publishing side counts in its own registry, under the stream's pattern (not the concrete subject).
  const published = parsePrometheus(await registry.metrics());
  assert.equal(sampleValue(published, "nats_events_published_total", { subject: `${PREFIX}.>` }), messages.length);
  t.diagnostic(
    `listener /metrics: handled 7, failed 6 (+1 undecodable), retried 4, dead-lettered 3 (max-deliveries, non-retryable, undecodable); ` +
      `consumer ${consumer} pending 0 / ack pending 0; web bus published_total{subject="${PREFIX}.>"} ${messages.length}`,
  );
});

test("dead-letters replay --all shows its progress; the replayed messages fail again and are counted again", async (t) => {
  const replay = await group.run(["dead-letters", "replay", "--all", "--config", config], { name: "dead-letters replay", env: { NATS_URL: nats!.url } });
  assert.equal(replay.exit?.code, 0, replay.output());
  assert.deepEqual(replay.stdoutLines.filter(Boolean), ["replayed 3/3"], "non-terminal output: one progress line per 100 and the last one");
  // The three come back to the listener and fail the same way: three more dead letters.
  await listener.waitUntil(() => listener.logs("dead-lettered").length >= 6, 15_000, "three more dead-lettered lines");
  const samples = await scrape(metricsUrl);
  assert.equal(value(samples, "nats_events_dead_lettered_total", { reason: "max-deliveries" }), 2);
  assert.equal(value(samples, "nats_events_dead_lettered_total", { reason: "non-retryable" }), 2);
  assert.equal(value(samples, "nats_events_dead_lettered_total", { reason: "undecodable" }), 2);
  assert.equal(value(samples, "nats_events_handled_total"), 7, "nothing new succeeded");
  t.diagnostic(`replay printed "${replay.stdoutLines.filter(Boolean).join(" | ")}"; dead letters counted again: 3 → 6`);
});
