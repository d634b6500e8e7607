/**
 * `npm run bench:chart [-- results.json] [--out chart.svg]`: an SVG chart of the lib ÷ raw
 * ratio of every metric in a bench results file (default: the newest bench-*.json in
 * bench/results), written next to it as .svg unless --out says where.
 * `npm run bench -- --chart` draws it at the end of a run.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { renderRatioChart, type BenchResults } from "./lib/ratio-chart.js";
import { BENCH_SRC } from "./lib/worker.js";

/** Reads `resultsFile`, writes the chart to `out` (default: the same path with .svg) and returns that path. */
export async function writeRatioChart(resultsFile: string, out = resultsFile.replace(/\.json$/, "") + ".svg"): Promise<string> {
  const results = JSON.parse(await readFile(resultsFile, "utf8")) as BenchResults;
  if (!Array.isArray(results.rows) || !results.meta) throw new Error(`${resultsFile} is not a results file of npm run bench (no "meta" and "rows")`);
  await writeFile(out, renderRatioChart(results, path.basename(resultsFile)));
  return out;
}

async function newestResults(dir: string): Promise<string> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((file) => /^bench-.*\.json$/.test(file)).sort();
  if (files.length === 0) throw new Error(`no bench-*.json in ${dir}: run npm run bench first, or name a results file`);
  return path.join(dir, files[files.length - 1]!);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const { values, positionals } = parseArgs({ options: { out: { type: "string" } }, allowPositionals: true });
  try {
    const input = positionals[0] ? path.resolve(positionals[0]) : await newestResults(path.join(BENCH_SRC, "results"));
    const out = await writeRatioChart(input, values.out && path.resolve(values.out));
    process.stdout.write(`chart of ${path.relative(process.cwd(), input)}: ${path.relative(process.cwd(), out)}\n`);
  } catch (err) {
    process.stderr.write(`bench:chart: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
