/**
 * The raw nats.js v3 listener: what a user writes without the library. Idiomatic
 * and no more: connect, subscribe with a callback (queue group), msg.json(), and for
 * JetStream consumers.get().consume() with ack. Configured by environment:
 *   BENCH_URL, BENCH_MODE (sub | reply | pool | consume | jobs), BENCH_SUBJECT,
 *   BENCH_GROUP, BENCH_STREAM, BENCH_DURABLE, BENCH_CONCURRENCY (pool).
 * Each handled message calls the same probe hit() as the library's listener modules.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { connect, type Msg } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import type { OrderEvent } from "../lib/payload.js";
import { hit } from "../lib/probe.js";

const env = process.env;
const mode = env.BENCH_MODE ?? "sub";
const subject = env.BENCH_SUBJECT ?? "bench.raw";
const queue = env.BENCH_GROUP || undefined;
const encoder = new TextEncoder();

const nc = await connect({ servers: env.BENCH_URL, name: `bench-raw-${mode}` });

switch (mode) {
  case "sub":
    nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) return;
        msg.json<OrderEvent>();
        hit();
      },
    });
    break;
  case "reply":
    nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) return;
        const event = msg.json<OrderEvent>();
        msg.respond(encoder.encode(JSON.stringify({ ok: true, seq: event.seq })));
        hit();
      },
    });
    break;
  case "pool": {
    // The same pool as the library's listener: at most BENCH_CONCURRENCY handlers at once, the rest queued.
    const limit = Number(env.BENCH_CONCURRENCY ?? 100);
    let running = 0;
    const waiting: Msg[] = [];
    const handle = async (msg: Msg): Promise<void> => {
      running++;
      const event = msg.json<OrderEvent>();
      await sleep(100);
      msg.respond(encoder.encode(JSON.stringify({ ok: true, seq: event.seq })));
      hit();
      running--;
      const next = waiting.shift();
      if (next) void handle(next);
    };
    nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) return;
        if (running < limit) void handle(msg);
        else waiting.push(msg);
      },
    });
    break;
  }
  case "consume":
  case "jobs": {
    const stream = env.BENCH_STREAM!;
    const durable = env.BENCH_DURABLE!;
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: subject });
    const consumer = await jetstream(nc).consumers.get(stream, durable);
    if (mode === "consume") {
      const messages = await consumer.consume();
      void (async () => {
        for await (const m of messages) {
          m.json<OrderEvent>();
          hit();
          m.ack();
        }
      })();
    } else {
      // Slow jobs: start each one as it arrives (up to 1,000 buffered), ack when done.
      const messages = await consumer.consume({ max_messages: 1_000 });
      const job = async (m: JsMsg) => {
        m.json<OrderEvent>();
        await sleep(5_000);
        hit();
        m.ack();
      };
      void (async () => {
        for await (const m of messages) void job(m);
      })();
    }
    break;
  }
  default:
    throw new Error(`unknown BENCH_MODE ${mode}`);
}

await nc.flush();
process.on("SIGTERM", () => {
  nc.drain().then(() => process.exit(0), () => process.exit(1));
});
process.send?.("ready");
