/**
 * `node dist/bench/dispatch.js [--processes N] [--rounds N]`: what the library's dispatch adds to
 * each message of scenario 1's listener, without the socket, the server and the publisher (see
 * workers/dispatch-feed.ts). Starts its own nats-server (for the connections only: the measured
 * messages never pass through it), then N fresh register-listeners processes one after the other
 * (a process's JIT decisions move its figures a little, so one is not enough), and prints raw
 * nats.js's and the library's CPU per message and lib − raw, medians of the rounds of each.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { startBenchServer } from "./lib/nats-server.js";
import { median } from "./lib/stats.js";
import { CLI, DIST_BENCH, Worker, withWorkers } from "./lib/worker.js";
import type { DispatchResult, DispatchRound } from "./workers/dispatch-feed.js";

const { values } = parseArgs({ options: { processes: { type: "string", default: "3" }, rounds: { type: "string", default: "30" } } });
const processes = Number(values.processes);
const rounds = Number(values.rounds);
if (!(processes >= 1 && rounds >= 1)) throw new Error("--processes and --rounds take a whole number ≥ 1");

const server = await startBenchServer();
try {
  process.stdout.write(`nats-server ${server.version}, Node ${process.version}; ${processes} processes × ${rounds} rounds per side\n`);
  process.stdout.write(`process  raw ns/msg  lib ns/msg  lib − raw  lib ÷ raw\n`);
  const all: DispatchRound[] = [];
  for (let i = 1; i <= processes; i++) {
    const result = await withWorkers([() => libListener(server.url, i)], ([worker]) => worker!.call<DispatchResult>("dispatch", { rounds }, 600_000));
    all.push(...result.rounds);
    process.stdout.write(`${String(i).padStart(7)}  ${summary(result.rounds)}  (${result.messages} messages a round)\n`);
  }
  process.stdout.write(`    all  ${summary(all)}\n`);
} finally {
  await server.stop();
}

/** Scenario 1's listener module, run by the real register-listeners with the feed preloaded. */
function libListener(url: string, i: number): Worker {
  const args = ["register-listeners", path.join(DIST_BENCH, "listeners/core.listener.js"), "--server", url];
  return Worker.start(`dispatch-listener-${i}`, CLI, args, {
    env: { BENCH_URL: url, BENCH_SUBJECT: "bench.dispatch.lib" },
    nodeFlags: ["--import", path.join(DIST_BENCH, "workers/dispatch-feed.js")],
  });
}

function summary(results: readonly DispatchRound[]): string {
  const raw = median(results.map((round) => round.rawNs));
  const lib = median(results.map((round) => round.libNs));
  const diff = median(results.map((round) => round.libNs - round.rawNs));
  const ratio = median(results.map((round) => round.libNs / round.rawNs));
  return `${raw.toFixed(0).padStart(10)}  ${lib.toFixed(0).padStart(10)}  ${diff.toFixed(0).padStart(9)}  ${ratio.toFixed(3).padStart(9)}`;
}
