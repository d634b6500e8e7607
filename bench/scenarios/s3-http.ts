import path from "node:path";
import autocannon from "autocannon";
import { makePayload } from "../lib/payload.js";
import { cpuMicros } from "../lib/rpc.js";
import { DIST_BENCH, withWorkers, Worker } from "../lib/worker.js";
import { interleaved, row, Series, type Context, type Scenario, type SideName } from "./common.js";

/**
 * 3. HTTP → event: an Express 5 route that publishes the request body per request
 * (bench/workers/web.ts), loaded by autocannon from this process; the same route
 * with the raw client. Requests/s from the 2xx count over the measured interval
 * (process.hrtime); latency from autocannon's histogram; CPU of the web process.
 * The server's /varz in_msgs confirms every 2xx published one message.
 */
export const httpScenario: Scenario = {
  id: 3,
  title: "HTTP → event: Express route publishing per request (autocannon)",
  params: (ctx) => ({ connections: CONNECTIONS, seconds: seconds(ctx), warmupSeconds: 2, body: "the 207-byte JSON event" }),
  async run(ctx) {
    const start = (side: SideName) => () =>
      Worker.start(`${side}-web`, path.join(DIST_BENCH, "workers/web.js"), [side], {
        env: { BENCH_URL: ctx.server.url },
        nodeFlags: ctx.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${path.join(ctx.profileDir, `${side}-web`)}`] : [],
      });
    return withWorkers([start("raw"), start("lib")], async ([rawWeb, libWeb]) => {
      const webs = { raw: rawWeb!, lib: libWeb! };
      const ports = { raw: await rawWeb!.call<number>("port"), lib: await libWeb!.call<number>("port") };
      for (const side of ["raw", "lib"] as const) await load(ports[side], 2);
      const rps = new Series();
      const p50 = new Series();
      const p99 = new Series();
      const cpu = new Series();
      const problems: string[] = [];
      await interleaved(ctx.rounds, async (side, round) => {
        const before = await webs[side].call<NodeJS.CpuUsage>("cpu");
        const inBefore = Number((await ctx.server.varz()).in_msgs);
        const t0 = process.hrtime.bigint();
        const result = await load(ports[side], seconds(ctx));
        const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
        const after = await webs[side].call<NodeJS.CpuUsage>("cpu");
        const published = Number((await ctx.server.varz()).in_msgs) - inBefore;
        const ok = result["2xx"];
        if (result.non2xx || result.errors || published < ok) {
          problems.push(`${side} round ${round + 1}: ${result.non2xx} non-2xx, ${result.errors} errors, ${published} published for ${ok} 2xx`);
        }
        const usPerRequest = (cpuMicros(after) - cpuMicros(before)) / ok;
        rps.add(side, ok / elapsed);
        p50.add(side, result.latency.p50);
        p99.add(side, result.latency.p99);
        cpu.add(side, usPerRequest);
        ctx.log(`  ${side} round ${round + 1}: ${Math.round(ok / elapsed)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, web ${usPerRequest.toFixed(1)} µs/req, ${published} events published`);
      });
      return [
        row(3, "requests/s", "req/s", rps, { note: problems.length ? `PROBLEMS: ${problems.join("; ")}` : undefined }),
        row(3, "latency p50", "ms", p50),
        row(3, "latency p99", "ms", p99),
        row(3, "web process CPU/request", "µs", cpu),
      ];
    });
  },
};

const CONNECTIONS = 50;
function seconds(ctx: Context): number {
  return ctx.quick ? 2 : 5;
}

function load(port: number, duration: number): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}/orders`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(makePayload(123_456)),
    connections: CONNECTIONS,
    duration,
  });
}
