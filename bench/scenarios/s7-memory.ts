import type { MemorySnapshot } from "../lib/rpc.js";
import type { Row } from "../lib/report.js";
import { withWorkers, type Worker } from "../lib/worker.js";
import { client, libListener, rawListener, Series, type Context, type Scenario, type SideName } from "./common.js";

/**
 * 7. Memory of a listener process (core NATS, queue group, JSON): idle after start,
 * after SMALL handled messages and after LARGE, each read after a full GC
 * (--expose-gc) from process.memoryUsage(). The publisher sends in chunks and waits
 * for the listener to catch up, so no backlog is counted as the listener's memory.
 * Bounds: heap growth from SMALL to LARGE ≤ HEAP_BOUND_MB on the library side (≈ 4 bytes
 * per message); RSS growth and committed heap within RSS_GROWTH_RATIO and
 * HEAP_COMMITTED_RATIO of raw nats.js's.
 */
export const memoryScenario: Scenario = {
  id: 7,
  title: "memory of a listener process: idle, after 10,000 and after 1,000,000 messages",
  params: (ctx) => ({ small: SMALL, large: large(ctx), chunk: CHUNK, heapGrowthBoundMB: HEAP_BOUND_MB, rssGrowthRatio: RSS_GROWTH_RATIO, heapCommittedRatio: HEAP_COMMITTED_RATIO, rounds: 1 }),
  async run(ctx) {
    const group = "bench-memory";
    const subjects = { raw: "bench.memory.raw", lib: "bench.memory.lib" } as const;
    const gc = ["--expose-gc"];
    return withWorkers(
      [
        () => rawListener(ctx, "raw-memory", { BENCH_MODE: "sub", BENCH_SUBJECT: subjects.raw, BENCH_GROUP: group }, gc),
        () => libListener(ctx, "lib-memory", "core", { BENCH_SUBJECT: subjects.lib, BENCH_GROUP: group }, { nodeFlags: gc }),
        () => client(ctx, "raw"),
        () => client(ctx, "lib"),
      ],
      async ([rawL, libL, rawC, libC]) => {
        const listeners = { raw: rawL!, lib: libL! };
        const clients = { raw: rawC!, lib: libC! };
        const idle = new Series();
        const rssSmall = new Series();
        const rssLarge = new Series();
        const heapSmall = new Series();
        const heapLarge = new Series();
        const heapTotal = new Series();
        const heapGrowth = new Series();
        const rssGrowth = new Series();
        const mb = (bytes: number) => bytes / (1024 * 1024);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        for (const side of ["raw", "lib"] as SideName[]) {
          const listener = listeners[side];
          const atIdle = await listener.call<MemorySnapshot>("memory");
          await listener.call("reset", {});
          await sendAndWait(listener, clients[side], subjects[side], 0, SMALL);
          const atSmall = await listener.call<MemorySnapshot>("memory");
          await sendAndWait(listener, clients[side], subjects[side], SMALL, large(ctx));
          const atLarge = await listener.call<MemorySnapshot>("memory");
          idle.add(side, mb(atIdle.rss));
          rssSmall.add(side, mb(atSmall.rss));
          rssLarge.add(side, mb(atLarge.rss));
          heapSmall.add(side, mb(atSmall.heapUsed));
          heapLarge.add(side, mb(atLarge.heapUsed));
          heapTotal.add(side, mb(atLarge.heapTotal));
          heapGrowth.add(side, mb(atLarge.heapUsed - atSmall.heapUsed));
          rssGrowth.add(side, mb(atLarge.rss - atSmall.rss));
          ctx.log(
            `  ${side}: idle RSS ${mb(atIdle.rss).toFixed(1)} MB; after ${SMALL}: RSS ${mb(atSmall.rss).toFixed(1)} MB, heap ${mb(atSmall.heapUsed).toFixed(1)} MB; ` +
              `after ${large(ctx)}: RSS ${mb(atLarge.rss).toFixed(1)} MB, heap ${mb(atLarge.heapUsed).toFixed(1)} MB`,
          );
        }
        const n = (count: number) => count.toLocaleString("en-US");
        const rows: Row[] = [
          { scenario: 7, metric: "idle RSS (connected, subscribed)", unit: "MB", raw: idle.raw, lib: idle.lib },
          { scenario: 7, metric: `RSS after ${n(SMALL)} messages`, unit: "MB", raw: rssSmall.raw, lib: rssSmall.lib },
          { scenario: 7, metric: `RSS after ${n(large(ctx))} messages`, unit: "MB", raw: rssLarge.raw, lib: rssLarge.lib },
          { scenario: 7, metric: `heap used after ${n(SMALL)} (after GC)`, unit: "MB", raw: heapSmall.raw, lib: heapSmall.lib },
          { scenario: 7, metric: `heap used after ${n(large(ctx))} (after GC)`, unit: "MB", raw: heapLarge.raw, lib: heapLarge.lib },
          { scenario: 7, metric: `heap committed after ${n(large(ctx))}`, unit: "MB", raw: heapTotal.raw, lib: heapTotal.lib, target: { kind: "ratio-max", value: HEAP_COMMITTED_RATIO } },
          { scenario: 7, metric: `heap growth ${n(SMALL)} → ${n(large(ctx))}`, unit: "MB", raw: heapGrowth.raw, lib: heapGrowth.lib, target: { kind: "lib-max", value: HEAP_BOUND_MB } },
          { scenario: 7, metric: `RSS growth ${n(SMALL)} → ${n(large(ctx))}`, unit: "MB", raw: rssGrowth.raw, lib: rssGrowth.lib, target: { kind: "ratio-max", value: RSS_GROWTH_RATIO } },
        ];
        return rows;
      },
    );
  },
};

const SMALL = 10_000;
const CHUNK = 50_000;
const HEAP_BOUND_MB = 4;
/** The library's RSS growth and committed heap against raw nats.js's (issue 12). */
const RSS_GROWTH_RATIO = 2;
const HEAP_COMMITTED_RATIO = 1.5;
function large(ctx: Context): number {
  return ctx.quick ? 200_000 : 1_000_000;
}

/** Publishes messages from..to in chunks, each time waiting until the listener has handled them all. */
async function sendAndWait(listener: Worker, publisher: Worker, subject: string, from: number, to: number): Promise<void> {
  for (let sent = from; sent < to; ) {
    const n = Math.min(CHUNK, to - sent);
    await publisher.call("publish", { subject, n, first: sent });
    sent += n;
    const report = await listener.call<{ count: number }>("wait", { n: sent, idleMs: 5_000 });
    if (report.count < sent) throw new Error(`${listener.name} handled ${report.count} of ${sent} messages`);
  }
}
