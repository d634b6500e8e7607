// The bench's ratio chart (bench/lib/ratio-chart.ts, `npm run bench:chart`): drawn from a results
// file written by bench/chart.ts, one bar per metric, coloured by whether the library does better.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { writeRatioChart } from "../../bench/chart.js";
import { evaluate, type Row } from "../../bench/lib/report.js";

const rows: Row[] = [
  { scenario: 1, metric: "throughput at listener", unit: "msg/s", raw: [100_000, 110_000], lib: [80_000, 90_000], target: { kind: "ratio-min", value: 0.9 } },
  { scenario: 1, metric: "listener CPU/msg", unit: "µs", raw: [10, 10], lib: [9, 9] },
  { scenario: 2, metric: "p50 latency <of requests>", unit: "µs", raw: [100, 100], lib: [102, 102] },
  { scenario: 2, metric: "no raw side", unit: "ms", raw: [0, 0], lib: [5, 5] },
];
const results = {
  meta: { startedAt: "2026-11-30T10:00:00.000Z", natsServer: "2.9.10 (/usr/sbin/nats-server)", cpu: "Test CPU × 2", node: "v20.20.2", rounds: 2, quick: false },
  scenarios: [{ id: 1, title: "core publish → listener" }, { id: 2, title: "request-reply" }],
  rows: rows.map(evaluate),
};

test("bench:chart draws one bar per metric with a finite ratio, coloured better / worse / parity, with the run it is from", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "nats-events-chart-"));
  try {
    const file = path.join(dir, "bench-2026-11-30T10-00-00-000Z.json");
    await writeFile(file, JSON.stringify(results));
    const out = await writeRatioChart(file);
    assert.equal(out, path.join(dir, "bench-2026-11-30T10-00-00-000Z.svg"));
    const svg = await readFile(out, "utf8");
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.ok(svg.trimEnd().endsWith("</svg>"));
    assert.ok(svg.includes("2026-11-30T10:00:00.000Z") && svg.includes("from bench-2026-11-30T10-00-00-000Z.json") && svg.includes("nats-server 2.9.10,"), "says which run it is from");
    const bars = [...svg.matchAll(/<rect x="[\d.]+" y="\d+" width="[\d.]+" height="\d+" fill="(#[0-9a-f]+)"><title>([^<]*)<\/title>/g)].map((m) => [m[1], m[2]!.split(":")[0]]);
    assert.deepEqual(bars, [
      ["#c62828", "throughput at listener"], // 0.81×, higher is better: worse
      ["#2e7d32", "listener CPU/msg"], // 0.9×, lower is better: better
      ["#9e9e9e", "p50 latency &lt;of requests&gt;"], // 1.02×: parity, and the label is escaped
    ]);
    assert.ok(!svg.includes("no raw side"), "a row without a raw median has no ratio to draw");
    assert.equal([...svg.matchAll(/stroke-dasharray/g)].length, 1, "one ratio target tick");
    assert.ok(svg.includes(">0.81×<") && svg.includes(">0.90×<"), "each bar is labelled with its ratio");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("bench:chart refuses a file that is not bench results, saying so", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "nats-events-chart-"));
  try {
    const file = path.join(dir, "other.json");
    await writeFile(file, JSON.stringify({ hello: 1 }));
    await assert.rejects(writeRatioChart(file), /other\.json is not a results file of npm run bench/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
