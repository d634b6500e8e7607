import { StorageType, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { ProbeReport } from "../lib/probe.js";
import type { LatencySummary } from "../lib/stats.js";
import { perSecond } from "../lib/stats.js";
import { withWorkers } from "../lib/worker.js";
import { client, interleaved, libListener, probeCpu, probeRate, rawListener, row, Series, type Context, type Scenario, type Timed } from "./common.js";

/**
 * 4. JetStream: publish with PubAck, sequential (each awaited) and pipelined (the
 * library's publishAll with maxInFlight against a raw sliding window of js.publish()),
 * then a durable consumer with ack working through the backlog the pipelined publish
 * left: the library's register-listeners process (pull consumer made by provisioning)
 * against raw consumers.get().consume() with m.ack(). Each consume round uses a
 * fresh subject and durable, and a fresh consumer process, measured from its first message.
 * Streams: BENCH_RAW and BENCH_LIB, file storage, limits retention (same shape).
 */
export const jetstreamScenario: Scenario = {
  id: 4,
  title: "JetStream: publish with ack (sequential, pipelined), durable consume with ack",
  params: (ctx) => ({ sequentialPublishes: sequential(ctx), pipelinedPublishes: pipelined(ctx), inFlight: IN_FLIGHT, consumed: pipelined(ctx), consumerWarmup: CONSUMER_WARMUP, storage: "file" }),
  async run(ctx) {
    await ensureRawStream(ctx.server.url);
    return withWorkers([() => client(ctx, "raw"), () => client(ctx, "lib", "jetstream")], async ([rawC, libC]) => {
      const clients = { raw: rawC!, lib: libC! };
      for (const side of ["raw", "lib"] as const) {
        await clients[side].call("jsPublishSequential", { subject: `bench.js.${side}.warm`, n: 500 });
        await clients[side].call("jsPublishPipelined", { subject: `bench.js.${side}.warm`, n: 5_000, inFlight: IN_FLIGHT });
      }
      const seqRate = new Series();
      const seqP99 = new Series();
      const pipeRate = new Series();
      const pipeCpu = new Series();
      const consumeRate = new Series();
      const consumeCpu = new Series();
      const problems: string[] = [];
      await interleaved(ctx.rounds, async (side, round) => {
        const seq = await clients[side].call<Timed & { latency: LatencySummary }>("jsPublishSequential", { subject: `bench.js.${side}.seq`, n: sequential(ctx) });
        seqRate.add(side, perSecond(sequential(ctx), BigInt(seq.elapsedNs)));
        seqP99.add(side, seq.latency.p99);

        const n = pipelined(ctx);
        const subject = `bench.js.${side}.work.r${round}`;
        const pipe = await clients[side].call<Timed>("jsPublishPipelined", { subject, n, inFlight: IN_FLIGHT });
        pipeRate.add(side, perSecond(n, BigInt(pipe.elapsedNs)));
        pipeCpu.add(side, pipe.cpuUs / n);

        const env = { BENCH_SUBJECT: subject, BENCH_TARGET: String(n), BENCH_WARMUP: String(CONSUMER_WARMUP) };
        const consumer =
          side === "raw"
            ? rawListener(ctx, `raw-consumer-r${round}`, { ...env, BENCH_MODE: "consume", BENCH_STREAM: "BENCH_RAW", BENCH_DURABLE: `bench-consume-r${round}` })
            : libListener(ctx, `lib-consumer-r${round}`, "consume", { ...env, BENCH_GROUP: `bench-consume-r${round}` }, { jetstream: true });
        let report: ProbeReport;
        try {
          await consumer.ready();
          report = await consumer.call<ProbeReport>("wait", { n, idleMs: 5_000 });
        } finally {
          await consumer.stop();
        }
        if (report.count < n) problems.push(`${side} round ${round + 1}: consumed ${report.count} of ${n}`);
        consumeRate.add(side, probeRate(report));
        consumeCpu.add(side, probeCpu(report));
        ctx.log(
          `  ${side} round ${round + 1}: sequential ${Math.round(perSecond(sequential(ctx), BigInt(seq.elapsedNs)))} msg/s (p99 ${seq.latency.p99.toFixed(0)} µs), ` +
            `pipelined ${Math.round(perSecond(n, BigInt(pipe.elapsedNs)))} msg/s (${(pipe.cpuUs / n).toFixed(1)} µs/msg), ` +
            `consume ${Math.round(probeRate(report))} msg/s (${probeCpu(report).toFixed(1)} µs/msg)`,
        );
      });
      return [
        row(4, "publish with ack, sequential", "msg/s", seqRate, { target: { kind: "ratio-min", value: 0.8 } }),
        row(4, "publish with ack, sequential: p99 latency", "µs", seqP99),
        row(4, `publish with ack, pipelined (${IN_FLIGHT} in flight)`, "msg/s", pipeRate, { target: { kind: "ratio-min", value: 0.8 } }),
        row(4, "publisher CPU/msg, pipelined", "µs", pipeCpu),
        row(4, "durable consume + ack", "msg/s", consumeRate, { target: { kind: "ratio-min", value: 0.9 }, note: problems.length ? `PROBLEMS: ${problems.join("; ")}` : undefined }),
        row(4, "consumer CPU/msg", "µs", consumeCpu, { target: { kind: "ratio-max", value: 1.15 } }),
      ];
    });
  },
};

const IN_FLIGHT = 256;
/** The first messages of each fresh consumer process are not measured (JIT warm-up). */
const CONSUMER_WARMUP = 2_000;
function sequential(ctx: Context): number {
  return ctx.quick ? 1_000 : 3_000;
}
function pipelined(ctx: Context): number {
  return ctx.quick ? 10_000 : 30_000;
}

/** The raw side's stream, the same shape as the library's BENCH_LIB (bench/jetstream.config.js). */
export async function ensureRawStream(url: string): Promise<void> {
  const nc = await connect({ servers: url, name: "bench-setup" });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "BENCH_RAW", subjects: ["bench.js.raw.>"], storage: StorageType.File });
  } finally {
    await nc.close();
  }
}
