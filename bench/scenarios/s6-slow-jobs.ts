import type { ProbeReport } from "../lib/probe.js";
import { withWorkers } from "../lib/worker.js";
import { client, interleaved, libListener, rawListener, row, Series, type Context, type Scenario } from "./common.js";
import { ensureRawStream } from "./s4-jetstream.js";

/**
 * 6. Slow jobs on JetStream: JOBS events whose handler waits 5 s each. The library
 * listener has @Listen(..., { concurrency: 1000 }); the raw consumer starts each job as
 * it arrives (consume({ max_messages: 1000 })) and acks it when done. Time from the
 * start of publishing to the last job handled (monotonic clock shared by the processes).
 * A worker taking batches of 50 needs 1000 / 50 × 5 s = 100 s for this.
 */
export const slowJobsScenario: Scenario = {
  id: 6,
  title: "slow jobs: 1,000 events × 5 s handler, concurrency 1,000 (JetStream)",
  params: (ctx) => ({ jobs: JOBS, handlerMs: 5_000, concurrency: 1_000, rounds: rounds(ctx) }),
  async run(ctx) {
    await ensureRawStream(ctx.server.url);
    const subjects = { raw: "bench.js.raw.jobs", lib: "bench.js.lib.jobs" } as const;
    return withWorkers(
      [
        () => rawListener(ctx, "raw-jobs", { BENCH_MODE: "jobs", BENCH_SUBJECT: subjects.raw, BENCH_STREAM: "BENCH_RAW", BENCH_DURABLE: "bench-jobs" }),
        () => libListener(ctx, "lib-jobs", "jobs", { BENCH_SUBJECT: subjects.lib, BENCH_GROUP: "bench-jobs" }, { jetstream: true }),
        () => client(ctx, "raw"),
        () => client(ctx, "lib", "jetstream"),
      ],
      async ([rawL, libL, rawC, libC]) => {
        const listeners = { raw: rawL!, lib: libL! };
        const clients = { raw: rawC!, lib: libC! };
        const seconds = new Series();
        const problems: string[] = [];
        await interleaved(rounds(ctx), async (side, round) => {
          await listeners[side].call("reset", { target: JOBS });
          const waiting = listeners[side].call<ProbeReport>("wait", { n: JOBS, idleMs: 20_000 }, 300_000);
          const started = process.hrtime.bigint();
          await clients[side].call("jsPublishPipelined", { subject: subjects[side], n: JOBS, inFlight: 256 });
          const report = await waiting;
          if (report.count < JOBS) problems.push(`${side} round ${round + 1}: ${report.count} of ${JOBS} handled`);
          const s = Number(BigInt(report.lastNs) - started) / 1e9;
          seconds.add(side, s);
          ctx.log(`  ${side} round ${round + 1}: all ${report.count} jobs handled after ${s.toFixed(2)} s`);
        });
        return [
          row(6, `time until ${JOBS.toLocaleString("en-US")} jobs are handled`, "s", seconds, {
            target: { kind: "lib-max", value: 10 },
            note: problems.length ? `PROBLEMS: ${problems.join("; ")}` : "a batch-of-50 worker: about 100 s",
          }),
        ];
      },
    );
  },
};

const JOBS = 1_000;
function rounds(ctx: Context): number {
  return ctx.quick ? 1 : Math.min(ctx.rounds, 3);
}
