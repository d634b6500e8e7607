/**
 * The sending side of a scenario (publisher / requester), one process per side:
 *   node dist/bench/workers/client.js raw|lib
 * raw: @nats-io/transport-node and @nats-io/jetstream used directly (JSON.stringify +
 * TextEncoder, msg.json()). lib: EventBus.connect() and the injected EventPublisher,
 * as application code uses them. The loops that drive them are shared, so they cost
 * both sides the same; the raw side is never awaited where its API is synchronous.
 * Environment: BENCH_URL, BENCH_TRANSPORT (nats | jetstream, lib side).
 */
import { makePayload, type OrderEvent } from "../lib/payload.js";
import { cpuMicros, serve } from "../lib/rpc.js";
import { summarizeLatency } from "../lib/stats.js";

interface Side {
  /** Core publish: raw returns nothing (nc.publish is synchronous); lib returns the promise a user awaits. */
  publish(subject: string, event: OrderEvent): void | Promise<unknown>;
  request(subject: string, event: OrderEvent, timeoutMs: number): Promise<unknown>;
  /** JetStream publish, resolved on the PubAck. */
  jsPublish(subject: string, event: OrderEvent): Promise<unknown>;
  /** Core publishing through the library's bulk API (lib only). */
  publishMany?(subject: string, first: number, n: number): Promise<void>;
  /** JetStream publishing with at most `inFlight` unconfirmed. */
  jsPublishMany(subject: string, first: number, n: number, inFlight: number): Promise<void>;
}

const side = process.argv[2];
const url = process.env.BENCH_URL!;

async function rawSide(): Promise<Side> {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstream } = await import("@nats-io/jetstream");
  const nc = await connect({ servers: url, name: "bench-raw-client" });
  const js = jetstream(nc);
  const encoder = new TextEncoder();
  const encode = (event: OrderEvent) => encoder.encode(JSON.stringify(event));
  return {
    publish: (subject, event) => nc.publish(subject, encode(event)),
    request: async (subject, event, timeout) => (await nc.request(subject, encode(event), { timeout })).json(),
    jsPublish: (subject, event) => js.publish(subject, encode(event)),
    // A sliding window, as a careful raw user writes it.
    jsPublishMany: async (subject, first, n, inFlight) => {
      let pending = 0;
      let failure: unknown;
      let wake: (() => void) | undefined;
      const event = makePayload();
      const settled = () => {
        pending--;
        wake?.();
      };
      for (let i = 0; i < n && !failure; i++) {
        event.seq = first + i;
        pending++;
        js.publish(subject, encode(event)).then(settled, (err: unknown) => ((failure ??= err), settled()));
        while (pending >= inFlight) await new Promise<void>((resolve) => (wake = resolve));
      }
      while (pending > 0) await new Promise<void>((resolve) => (wake = resolve));
      if (failure) throw failure;
    },
  };
}

async function libSide(): Promise<Side> {
  await import("reflect-metadata");
  const { container } = await import("tsyringe");
  const { EventBus, EventPublisher } = await import("express-nats-events");
  const bus = container.resolve(EventBus);
  const transport = (process.env.BENCH_TRANSPORT ?? "nats") as "nats" | "jetstream";
  await bus.connect({
    servers: [url],
    transport,
    name: "bench-lib-client",
    logLevel: "warn",
    streams: transport === "jetstream" ? [{ name: "BENCH_LIB", subjects: ["bench.js.lib.>"], storage: "file" }] : [],
  });
  const events = container.resolve(EventPublisher);
  return {
    publish: (subject, event) => events.publish(subject, event),
    request: (subject, event, timeout) => events.request(subject, event, { timeout }),
    jsPublish: (subject, event) => events.publish(subject, event),
    publishMany: async (subject, first, n) => {
      const template = makePayload();
      function* items() {
        for (let i = 0; i < n; i++) yield { subject, data: { ...template, seq: first + i } };
      }
      await events.publishAll(items());
    },
    // The library's own bulk API.
    jsPublishMany: async (subject, first, n, inFlight) => {
      const template = makePayload();
      function* items() {
        for (let i = 0; i < n; i++) yield { subject, data: { ...template, seq: first + i } };
      }
      await events.publishAll(items(), { maxInFlight: inFlight });
    },
  };
}

const client = side === "lib" ? await libSide() : await rawSide();
const now = () => process.hrtime.bigint();
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

serve({
  /** Core publishing as fast as the loop goes, letting the event loop turn every `yieldEvery` messages. */
  publish: async ({ subject, n, first = 0, yieldEvery = 1_000, awaitEach = true }) => {
    const event = makePayload();
    const count = Number(n);
    const every = Number(yieldEvery);
    const cpu = process.cpuUsage();
    const start = now();
    for (let i = 0; i < count; i++) {
      event.seq = Number(first) + i;
      const sent = client.publish(String(subject), event);
      if (sent && awaitEach) await sent;
      if (i % every === every - 1) await nextTurn();
    }
    await nextTurn();
    return { elapsedNs: String(now() - start), cpuUs: cpuMicros(process.cpuUsage(cpu)) };
  },

  /** Core publishing with the library's publishAll() (default maxInFlight). */
  publishAll: async ({ subject, n, first = 0 }) => {
    if (!client.publishMany) throw new Error("publishAll is a library API");
    const cpu = process.cpuUsage();
    const start = now();
    await client.publishMany(String(subject), Number(first), Number(n));
    await nextTurn();
    return { elapsedNs: String(now() - start), cpuUs: cpuMicros(process.cpuUsage(cpu)) };
  },

  /** One request at a time; latency of each in µs. */
  requestSequential: async ({ subject, n, timeoutMs = 5_000 }) => {
    const event = makePayload();
    const latencies = new Float64Array(Number(n));
    const cpu = process.cpuUsage();
    const start = now();
    for (let i = 0; i < latencies.length; i++) {
      event.seq = i;
      const t0 = now();
      await client.request(String(subject), event, Number(timeoutMs));
      latencies[i] = Number(now() - t0) / 1_000;
    }
    return { elapsedNs: String(now() - start), cpuUs: cpuMicros(process.cpuUsage(cpu)), latency: summarizeLatency(latencies) };
  },

  /** `n` requests with `inFlight` outstanding at any time. */
  requestConcurrent: async ({ subject, n, inFlight, timeoutMs = 10_000 }) => {
    const total = Number(n);
    let issued = 0;
    const cpu = process.cpuUsage();
    const start = now();
    const lane = async () => {
      const event = makePayload();
      while (issued < total) {
        event.seq = issued++;
        await client.request(String(subject), event, Number(timeoutMs));
      }
    };
    await Promise.all(Array.from({ length: Number(inFlight) }, lane));
    return { elapsedNs: String(now() - start), cpuUs: cpuMicros(process.cpuUsage(cpu)) };
  },

  /** Closed loop with `inFlight` outstanding; counts replies that arrive inside the measuring window. */
  requestWindow: async ({ subject, inFlight, warmupMs, windowMs, timeoutMs = 30_000 }) => {
    const begin = performance.now();
    const from = begin + Number(warmupMs);
    const until = from + Number(windowMs);
    let inWindow = 0;
    let errors = 0;
    let seq = 0;
    const lane = async () => {
      const event = makePayload();
      while (performance.now() < until) {
        event.seq = seq++;
        try {
          await client.request(String(subject), event, Number(timeoutMs));
          const at = performance.now();
          if (at >= from && at < until) inWindow++;
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: Number(inFlight) }, lane));
    return { completed: inWindow, windowMs: Number(windowMs), errors };
  },

  /** JetStream publish, each awaited (PubAck) before the next. */
  jsPublishSequential: async ({ subject, n }) => {
    const event = makePayload();
    const latencies = new Float64Array(Number(n));
    const cpu = process.cpuUsage();
    const start = now();
    for (let i = 0; i < latencies.length; i++) {
      event.seq = i;
      const t0 = now();
      await client.jsPublish(String(subject), event);
      latencies[i] = Number(now() - t0) / 1_000;
    }
    return { elapsedNs: String(now() - start), cpuUs: cpuMicros(process.cpuUsage(cpu)), latency: summarizeLatency(latencies) };
  },

  /** JetStream publish pipelined: at most `inFlight` waiting for their PubAck. */
  jsPublishPipelined: async ({ subject, n, first = 0, inFlight = 256 }) => {
    const cpu = process.cpuUsage();
    const start = now();
    await client.jsPublishMany(String(subject), Number(first), Number(n), Number(inFlight));
    return { elapsedNs: String(now() - start), cpuUs: cpuMicros(process.cpuUsage(cpu)) };
  },
});

process.on("SIGTERM", () => process.exit(0));
process.send?.("ready");
