import path from "node:path";
import type { BenchServer } from "../lib/nats-server.js";
import type { ProbeReport } from "../lib/probe.js";
import type { Row } from "../lib/report.js";
import { perSecond } from "../lib/stats.js";
import { BENCH_SRC, CLI, DIST_BENCH, Worker } from "../lib/worker.js";

export type SideName = "raw" | "lib";
export const SIDES: readonly SideName[] = ["raw", "lib"];

export interface Context {
  readonly server: BenchServer;
  /** Measured rounds per side (after a warm-up that is not counted). */
  readonly rounds: number;
  /** Smaller counts: a smoke run of the whole bench in about a minute. */
  readonly quick: boolean;
  /** Where --cpu-prof profiles go, when profiling. */
  readonly profileDir: string | undefined;
  log(line: string): void;
}

export interface Scenario {
  readonly id: number;
  readonly title: string;
  /** Counts and settings, printed before the run and kept in the JSON. */
  params(ctx: Context): Record<string, number | string>;
  run(ctx: Context): Promise<Row[]>;
}

function profileFlags(ctx: Context, name: string): string[] {
  return ctx.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${path.join(ctx.profileDir, name)}`] : [];
}

/** The raw nats.js listener (bench/workers/raw-listener.ts). */
export function rawListener(ctx: Context, name: string, env: Record<string, string>, nodeFlags: string[] = []): Worker {
  return Worker.start(name, path.join(DIST_BENCH, "workers/raw-listener.js"), [], {
    env: { BENCH_URL: ctx.server.url, ...env },
    nodeFlags: [...nodeFlags, ...profileFlags(ctx, name)],
  });
}

/** The library's listener: the real `nats-events register-listeners` loading one bench listener module. */
export function libListener(ctx: Context, name: string, module: string, env: Record<string, string>, options: { jetstream?: boolean; nodeFlags?: string[] } = {}): Worker {
  const args = ["register-listeners", path.join(DIST_BENCH, "listeners", `${module}.listener.js`), "--server", ctx.server.url];
  if (options.jetstream) args.push("--transport", "jetstream", "--config", path.join(BENCH_SRC, "jetstream.config.js"));
  return Worker.start(name, CLI, args, { env, nodeFlags: [...(options.nodeFlags ?? []), ...profileFlags(ctx, name)] });
}

/** Publisher / requester process of one side (bench/workers/client.ts). */
export function client(ctx: Context, side: SideName, transport: "nats" | "jetstream" = "nats"): Worker {
  const name = `${side}-client`;
  return Worker.start(name, path.join(DIST_BENCH, "workers/client.js"), [side], {
    env: { BENCH_URL: ctx.server.url, BENCH_TRANSPORT: transport },
    nodeFlags: profileFlags(ctx, name),
  });
}

/** Messages per second between the first measured and the last message the probe saw. */
export function probeRate(report: ProbeReport): number {
  return perSecond(Math.max(1, report.measured - 1), BigInt(report.lastNs) - BigInt(report.firstNs));
}

/** CPU µs per measured message. */
export function probeCpu(report: ProbeReport): number {
  return report.cpuUs / Math.max(1, report.measured);
}

export interface Timed {
  elapsedNs: string;
  cpuUs: number;
}

/** Per-side series, filled round by round. */
export class Series {
  readonly raw: number[] = [];
  readonly lib: number[] = [];
  add(side: SideName, value: number): void {
    this[side].push(value);
  }
}

/** Rounds interleaved raw, lib, raw, lib, ... */
export async function interleaved(rounds: number, body: (side: SideName, round: number) => Promise<void>): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const side of SIDES) await body(side, round);
  }
}

export function row(scenario: number, metric: string, unit: Row["unit"], series: Series, extra: Partial<Row> = {}): Row {
  return { scenario, metric, unit, raw: series.raw, lib: series.lib, ...extra };
}
