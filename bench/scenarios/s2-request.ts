import type { ProbeReport } from "../lib/probe.js";
import type { LatencySummary } from "../lib/stats.js";
import { perSecond } from "../lib/stats.js";
import { withWorkers } from "../lib/worker.js";
import { client, interleaved, libListener, probeCpu, rawListener, row, Series, type Context, type Scenario, type Timed } from "./common.js";

/**
 * 2. Request-reply: EventPublisher.request() answered by an @Listen handler that
 * returns the reply, against nc.request() answered by a raw subscription that calls
 * msg.respond(). Responders run in their own processes (queue group).
 * Sequential: one request at a time, latency of each. Concurrent: `inFlight` lanes.
 */
export const requestScenario: Scenario = {
  id: 2,
  title: "request-reply: EventPublisher.request vs raw nc.request()",
  params: (ctx) => ({ sequentialRequests: sequential(ctx), concurrentRequests: concurrent(ctx), inFlight: IN_FLIGHT }),
  async run(ctx) {
    const group = "bench-reply";
    const subjects = { raw: "bench.reply.raw", lib: "bench.reply.lib" } as const;
    return withWorkers(
      [
        () => rawListener(ctx, "raw-responder", { BENCH_MODE: "reply", BENCH_SUBJECT: subjects.raw, BENCH_GROUP: group }),
        () => libListener(ctx, "lib-responder", "reply", { BENCH_SUBJECT: subjects.lib, BENCH_GROUP: group }),
        () => client(ctx, "raw"),
        () => client(ctx, "lib"),
      ],
      async ([rawR, libR, rawC, libC]) => {
        const responders = { raw: rawR!, lib: libR! };
        const clients = { raw: rawC!, lib: libC! };
        for (const side of ["raw", "lib"] as const) {
          await clients[side].call("requestSequential", { subject: subjects[side], n: 2_000 });
          await clients[side].call("requestConcurrent", { subject: subjects[side], n: 10_000, inFlight: IN_FLIGHT });
        }
        const p50 = new Series();
        const p99 = new Series();
        const p999 = new Series();
        const throughput = new Series();
        const responderCpu = new Series();
        const requesterCpu = new Series();
        await interleaved(ctx.rounds, async (side, round) => {
          const seq = await clients[side].call<Timed & { latency: LatencySummary }>("requestSequential", { subject: subjects[side], n: sequential(ctx) });
          p50.add(side, seq.latency.p50);
          p99.add(side, seq.latency.p99);
          p999.add(side, seq.latency.p999);

          const n = concurrent(ctx);
          await responders[side].call("reset", { target: n });
          const waiting = responders[side].call<ProbeReport>("wait", { n, idleMs: 5_000 });
          const run = await clients[side].call<Timed>("requestConcurrent", { subject: subjects[side], n, inFlight: IN_FLIGHT });
          const responder = await waiting;
          const rate = perSecond(n, BigInt(run.elapsedNs));
          throughput.add(side, rate);
          responderCpu.add(side, probeCpu(responder));
          requesterCpu.add(side, run.cpuUs / n);
          ctx.log(
            `  ${side} round ${round + 1}: p50 ${seq.latency.p50.toFixed(0)} µs, p99 ${seq.latency.p99.toFixed(0)} µs, p99.9 ${seq.latency.p999.toFixed(0)} µs; ` +
              `${Math.round(rate)} req/s with ${IN_FLIGHT} in flight, responder ${probeCpu(responder).toFixed(2)} µs/req, requester ${(run.cpuUs / n).toFixed(2)} µs/req`,
          );
        });
        return [
          row(2, "latency p50, sequential", "µs", p50),
          row(2, "latency p99, sequential", "µs", p99, { target: { kind: "ratio-max", value: 1.2 } }),
          row(2, "latency p99.9, sequential", "µs", p999),
          row(2, `throughput, ${IN_FLIGHT} in flight`, "req/s", throughput, { target: { kind: "ratio-min", value: 0.9 } }),
          row(2, `responder CPU/request (${IN_FLIGHT} in flight)`, "µs", responderCpu),
          row(2, `requester CPU/request (${IN_FLIGHT} in flight)`, "µs", requesterCpu),
        ];
      },
    );
  },
};

const IN_FLIGHT = 64;
function sequential(ctx: Context): number {
  return ctx.quick ? 2_000 : 5_000;
}
function concurrent(ctx: Context): number {
  return ctx.quick ? 10_000 : 50_000;
}
