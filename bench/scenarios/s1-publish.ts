import { PAYLOAD_BYTES } from "../lib/payload.js";
import type { ProbeReport } from "../lib/probe.js";
import type { Row } from "../lib/report.js";
import { withWorkers, type Worker } from "../lib/worker.js";
import { client, libListener, probeCpu, probeRate, rawListener, Series, type Context, type Scenario, type Timed } from "./common.js";

/**
 * 1. Core publish → listener in another process, queue group, JSON at both ends.
 * Publisher process → nats-server → listener process; throughput is counted at the
 * listener between its first and last message; CPU per message from process.cpuUsage()
 * in each process.
 *
 * The raw publisher is the idiomatic synchronous nc.publish() loop. The library runs
 * three ways each round, against the same raw rounds:
 * - "await": `await events.publish()` per message, as application code writes it;
 * - "no await": the publish promises not awaited, which sends the listener the same
 *   batched traffic as the raw loop (so the listener rows compare like with like);
 * - "publishAll": the library's bulk API.
 */
const VARIANTS = [
  // An awaited publish yields once per message, so it is held to less (issue 12's targets).
  { key: "await", label: "await publish()", command: "publish", awaitEach: true, minThroughput: 0.6, maxPublisherCpu: 1.5 },
  { key: "noAwait", label: "publish() not awaited", command: "publish", awaitEach: false, minThroughput: 0.9, maxPublisherCpu: undefined },
  { key: "publishAll", label: "publishAll()", command: "publishAll", awaitEach: false, minThroughput: 0.9, maxPublisherCpu: undefined },
] as const;

export const publishScenario: Scenario = {
  id: 1,
  title: "core publish → listener (another process, queue group, JSON both ends)",
  params: (ctx) => ({ messages: count(ctx), warmup: warmup(ctx), payloadBytes: PAYLOAD_BYTES, rawYieldEvery: 1_000, libVariants: VARIANTS.map((v) => v.key).join("/") }),
  async run(ctx) {
    const group = "bench-core";
    const subjects = { raw: "bench.core.raw", lib: "bench.core.lib" } as const;
    return withWorkers(
      [
        () => rawListener(ctx, "raw-listener", { BENCH_MODE: "sub", BENCH_SUBJECT: subjects.raw, BENCH_GROUP: group }),
        () => libListener(ctx, "lib-listener", "core", { BENCH_SUBJECT: subjects.lib, BENCH_GROUP: group }),
        () => client(ctx, "raw"),
        () => client(ctx, "lib"),
      ],
      async ([rawListenerProcess, libListenerProcess, rawClient, libClient]) => {
        const raw = () => publishAndCount(rawListenerProcess!, rawClient!, "publish", { subject: subjects.raw, awaitEach: false });
        const lib = (variant: (typeof VARIANTS)[number]) =>
          publishAndCount(libListenerProcess!, libClient!, variant.command, { subject: subjects.lib, awaitEach: variant.awaitEach });
        await raw()(warmup(ctx));
        for (const variant of VARIANTS) await lib(variant)(warmup(ctx));

        const rawRounds: Measured[] = [];
        const libRounds = new Map<string, Measured[]>(VARIANTS.map((v) => [v.key, []]));
        const lost: string[] = [];
        const measure = async (name: string, run: (n: number) => Promise<Measured>, into: Measured[], round: number) => {
          const n = count(ctx);
          const m = await run(n);
          if (m.received < n) lost.push(`${name} round ${round + 1}: ${n - m.received} of ${n} not received`);
          into.push(m);
          ctx.log(`  ${name.padEnd(16)} round ${round + 1}: ${Math.round(m.rate)} msg/s, listener ${m.listenerUs.toFixed(2)} µs/msg, publisher ${m.publisherUs.toFixed(2)} µs/msg`);
        };
        for (let round = 0; round < ctx.rounds; round++) {
          await measure("raw", raw(), rawRounds, round);
          for (const variant of VARIANTS) await measure(`lib ${variant.key}`, lib(variant), libRounds.get(variant.key)!, round);
        }
        const rows: Row[] = [];
        const pick = (key: keyof Measured, variant: string) => {
          const series = new Series();
          series.raw.push(...rawRounds.map((m) => m[key]));
          series.lib.push(...libRounds.get(variant)!.map((m) => m[key]));
          return series;
        };
        for (const variant of VARIANTS) {
          const s = pick("rate", variant.key);
          rows.push({ scenario: 1, metric: `throughput at listener (lib: ${variant.label})`, unit: "msg/s", raw: s.raw, lib: s.lib, target: { kind: "ratio-min", value: variant.minThroughput } });
        }
        for (const variant of VARIANTS) {
          const s = pick("listenerUs", variant.key);
          rows.push({ scenario: 1, metric: `listener CPU/msg (lib: ${variant.label})`, unit: "µs", raw: s.raw, lib: s.lib, target: { kind: "ratio-max", value: 1.15 } });
        }
        for (const variant of VARIANTS) {
          const s = pick("publisherUs", variant.key);
          const target = variant.maxPublisherCpu === undefined ? undefined : ({ kind: "ratio-max", value: variant.maxPublisherCpu } as const);
          rows.push({ scenario: 1, metric: `publisher CPU/msg (lib: ${variant.label})`, unit: "µs", raw: s.raw, lib: s.lib, ...(target && { target }) });
        }
        if (lost.length) rows[0]!.note = `LOST MESSAGES: ${lost.join("; ")}`;
        return rows;
      },
    );
  },
};

interface Measured {
  rate: number;
  listenerUs: number;
  publisherUs: number;
  received: number;
}

function count(ctx: Context): number {
  return ctx.quick ? 20_000 : 200_000;
}
function warmup(ctx: Context): number {
  return ctx.quick ? 5_000 : 20_000;
}

function publishAndCount(listener: Worker, publisher: Worker, command: string, args: Record<string, unknown>) {
  return async (n: number): Promise<Measured> => {
    await listener.call("reset", { target: n });
    const waiting = listener.call<ProbeReport>("wait", { n, idleMs: 3_000 });
    const published = await publisher.call<Timed>(command, { ...args, n });
    const report = await waiting;
    return { rate: probeRate(report), listenerUs: probeCpu(report), publisherUs: published.cpuUs / n, received: report.count };
  };
}
