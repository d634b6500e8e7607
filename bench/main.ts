/**
 * `npm run bench [-- options]`: the library side by side with raw nats.js, on one
 * nats-server the bench starts itself. See bench/README.md.
 *
 *   --scenario 1,3   run only these scenarios (default: all, 1–7)
 *   --rounds N       measured rounds per side (default 5; scenario 7 always runs 1)
 *   --quick          small counts: a smoke run, not numbers to quote
 *   --cpu-prof       write V8 CPU profiles of every child under bench/results/profiles/<run>/
 *   --out FILE       JSON results file (default bench/results/bench-<time>.json)
 *   --chart          also draw the lib ÷ raw ratios as an SVG next to the JSON (bench/chart.ts)
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startBenchServer } from "./lib/nats-server.js";
import { PAYLOAD_BYTES } from "./lib/payload.js";
import { evaluate, renderTable, type RowResult } from "./lib/report.js";
import { BENCH_SRC } from "./lib/worker.js";
import type { Context, Scenario } from "./scenarios/common.js";
import { SCENARIOS } from "./scenarios/index.js";
import { summarizeProfiles } from "./lib/profile-summary.js";
import { writeRatioChart } from "./chart.js";

const { values } = parseArgs({
  options: {
    scenario: { type: "string", short: "s" },
    rounds: { type: "string", short: "r" },
    quick: { type: "boolean", default: false },
    "cpu-prof": { type: "boolean", default: false },
    out: { type: "string" },
    chart: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  process.stdout.write(
    [
      "npm run bench [-- options]",
      "  --scenario 1,3   run only these scenarios (default: all)",
      "  --rounds N       measured rounds per side (default 5)",
      "  --quick          small counts (smoke run)",
      "  --cpu-prof       CPU profiles of every child process, summarized at the end",
      "  --out FILE       where to write the JSON results",
      "  --chart          also write an SVG chart of the lib/raw ratios next to the JSON",
      "",
      ...SCENARIOS.map((s) => `  ${s.id}. ${s.title}`),
      "",
    ].join("\n"),
  );
  process.exit(0);
}

const selected = values.scenario ? values.scenario.split(",").map((id) => Number(id.trim())) : SCENARIOS.map((s) => s.id);
const unknown = selected.filter((id) => !SCENARIOS.some((s) => s.id === id));
if (unknown.length) {
  process.stderr.write(`unknown scenario ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.id).join(", ")}\n`);
  process.exit(2);
}
const rounds = values.rounds ? Number(values.rounds) : 5;
if (!Number.isInteger(rounds) || rounds < 1) {
  process.stderr.write(`--rounds must be a whole number >= 1\n`);
  process.exit(2);
}

const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const resultsDir = path.join(BENCH_SRC, "results");
const profileDir = values["cpu-prof"] ? path.join(resultsDir, "profiles", stamp) : undefined;
const startedAt = Date.now();
const startedMs = performance.now();
const server = await startBenchServer();
const stopServer = () => server.stop();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping nats-server and the bench processes\n`);
    void stopServer().finally(() => process.exit(130));
  });
}

const log = (line: string) => process.stdout.write(line + "\n");
const cpus = os.cpus();
const meta = {
  startedAt: new Date(startedAt).toISOString(),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  cpu: `${cpus[0]?.model ?? "?"} × ${cpus.length}`,
  natsServer: `${server.version} (${server.binary})`,
  payloadBytes: PAYLOAD_BYTES,
  rounds,
  quick: values.quick,
};
log(`express-nats-events bench — node ${meta.node}, ${meta.cpu}, nats-server ${meta.natsServer}`);
const loadBefore = os.loadavg();
log(`load average before the run: ${loadBefore.map((l) => l.toFixed(2)).join(" ")}`);
if (loadBefore[0]! > 1) {
  log(`WARNING: something else is using this machine (1-minute load ${loadBefore[0]!.toFixed(1)} on ${cpus.length} cores); numbers will be noisier, ratios less so`);
}
log(`payload ${PAYLOAD_BYTES} bytes of JSON; ${rounds} measured round(s) per side, interleaved raw, lib, raw, lib …${values.quick ? " (QUICK: smoke counts)" : ""}`);

const ctx: Context = { server, rounds, quick: values.quick, profileDir, log };
const results: RowResult[] = [];
const scenarioRecords: Array<{ id: number; title: string; params: Record<string, unknown>; seconds: number; error?: string }> = [];
let failed = false;
try {
  for (const scenario of SCENARIOS.filter((s) => selected.includes(s.id))) {
    await runOne(scenario);
  }
} finally {
  await server.stop();
}

async function runOne(scenario: Scenario): Promise<void> {
  const params = scenario.params(ctx);
  log(`\n[${scenario.id}] ${scenario.title}`);
  log(`    ${Object.entries(params).map(([k, v]) => `${k}=${typeof v === "number" ? v.toLocaleString("en-US") : v}`).join("  ")}`);
  const began = performance.now();
  try {
    const rows = (await scenario.run(ctx)).map(evaluate);
    results.push(...rows);
    const seconds = (performance.now() - began) / 1000;
    scenarioRecords.push({ id: scenario.id, title: scenario.title, params, seconds });
    log(renderTable(rows).split("\n").map((line) => "    " + line).join("\n"));
    log(`    (${seconds.toFixed(1)} s)`);
  } catch (err) {
    failed = true;
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    scenarioRecords.push({ id: scenario.id, title: scenario.title, params, seconds: (performance.now() - began) / 1000, error: message });
    log(`    FAILED: ${message}`);
  }
}

const wallSeconds = (performance.now() - startedMs) / 1000;
const loadAfter = os.loadavg();
log(`\n=== results (${wallSeconds.toFixed(0)} s wall; load average at the end ${loadAfter.map((l) => l.toFixed(2)).join(" ")}) ===`);
log(renderTable(results));
const out = values.out ? path.resolve(values.out) : path.join(resultsDir, `bench-${stamp}.json`);
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, JSON.stringify({ meta: { ...meta, wallSeconds, loadBefore, loadAfter }, scenarios: scenarioRecords, rows: results }, null, 2) + "\n");
log(`\nJSON: ${path.relative(process.cwd(), out)}`);
if (values.chart) log(`chart: ${path.relative(process.cwd(), await writeRatioChart(out))}`);
if (profileDir) log("\n" + (await summarizeProfiles(profileDir)));
process.exit(failed ? 1 : 0);
