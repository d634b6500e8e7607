import type { Row } from "../lib/report.js";
import { withWorkers, type Worker } from "../lib/worker.js";
import { client, libListener, rawListener, Series, type Context, type Scenario, type SideName } from "./common.js";

/**
 * 5. Queue-group scaling, the pattern of a REST API answered by a pool of
 * subscribers: each request's handler waits 100 ms. One process handles at most
 * CONCURRENCY requests at once (the library's default listener concurrency; the raw
 * responder has the same hand-written limit), so adding processes to the queue group
 * is what adds capacity. A closed-loop requester keeps IN_FLIGHT requests outstanding
 * (more than 4 processes can take) and counts the replies inside a measuring window.
 */
export const scalingScenario: Scenario = {
  id: 5,
  title: "queue-group scaling: 100 ms handler, 1 / 2 / 4 listener processes",
  params: (ctx) => ({ processes: PROCESSES.join("/"), handlerMs: 100, concurrencyPerProcess: CONCURRENCY, inFlight: IN_FLIGHT, warmupMs: WARMUP_MS, windowMs: windowMs(ctx), rounds: rounds(ctx) }),
  async run(ctx) {
    const group = "bench-pool";
    const subjects = { raw: "bench.pool.raw", lib: "bench.pool.lib" } as const;
    return withWorkers([() => client(ctx, "raw"), () => client(ctx, "lib")], async ([rawC, libC]) => {
      const clients = { raw: rawC!, lib: libC! };
      const byCount = new Map<number, Series>();
      const errors: string[] = [];
      for (const processes of PROCESSES) {
        const series = new Series();
        byCount.set(processes, series);
        const starts: Array<() => Worker> = [];
        for (let i = 0; i < processes; i++) {
          starts.push(() => rawListener(ctx, `raw-pool-${processes}-${i}`, { BENCH_MODE: "pool", BENCH_SUBJECT: subjects.raw, BENCH_GROUP: group, BENCH_CONCURRENCY: String(CONCURRENCY) }));
          starts.push(() => libListener(ctx, `lib-pool-${processes}-${i}`, "pool", { BENCH_SUBJECT: subjects.lib, BENCH_GROUP: group }));
        }
        await withWorkers(starts, async () => {
          for (let round = 0; round < rounds(ctx); round++) {
            for (const side of ["raw", "lib"] as SideName[]) {
              const result = await clients[side].call<{ completed: number; windowMs: number; errors: number }>("requestWindow", {
                subject: subjects[side],
                inFlight: IN_FLIGHT,
                warmupMs: WARMUP_MS,
                windowMs: windowMs(ctx),
              });
              if (result.errors) errors.push(`${side}, ${processes} process(es), round ${round + 1}: ${result.errors} failed requests`);
              const rate = result.completed / (result.windowMs / 1000);
              series.add(side, rate);
              ctx.log(`  ${side} ${processes} process(es) round ${round + 1}: ${Math.round(rate)} req/s`);
            }
          }
        });
      }
      const one = byCount.get(1)!;
      const four = byCount.get(4)!;
      const scaling = new Series();
      for (const side of ["raw", "lib"] as const) four[side].forEach((value, i) => scaling.add(side, value / one[side][i]!));
      const rows: Row[] = PROCESSES.map((processes) => ({
        scenario: 5,
        metric: `throughput, ${processes} listener process${processes > 1 ? "es" : ""}`,
        unit: "req/s" as const,
        raw: byCount.get(processes)!.raw,
        lib: byCount.get(processes)!.lib,
        note: processes === 1 && errors.length ? `ERRORS: ${errors.join("; ")}` : undefined,
      }));
      rows.push({
        scenario: 5,
        metric: "scaling 1 → 4 processes",
        unit: "×",
        raw: scaling.raw,
        lib: scaling.lib,
        target: { kind: "lib-min", value: 3.5 },
        note: `ideal: 4 × ${CONCURRENCY} / 0.1 s = ${(4 * CONCURRENCY) / 0.1} req/s at 4 processes`,
      });
      return rows;
    });
  },
};

const PROCESSES = [1, 2, 4];
const CONCURRENCY = 100;
const IN_FLIGHT = 1_000;
const WARMUP_MS = 1_000;
function windowMs(ctx: Context): number {
  return ctx.quick ? 2_000 : 5_000;
}
function rounds(ctx: Context): number {
  return ctx.quick ? 1 : Math.min(ctx.rounds, 3);
}
