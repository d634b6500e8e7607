import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";

/**
 * Summarizes V8 .cpuprofile files (written by node --cpu-prof): self time by area
 * (the library, nats.js, express, node internals, GC, ...) and the functions with the
 * most self time. Idle time is left out of the percentages.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionTime {
  name: string;
  where: string;
  area: string;
  selfMs: number;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  areas: Array<{ area: string; selfMs: number }>;
  functions: FunctionTime[];
}

function areaOf(url: string, name: string): string {
  if (name === "(garbage collector)") return "GC";
  if (name === "(program)") return "V8/native (program)";
  if (name === "(idle)") return "idle";
  if (!url) return "native/builtin";
  if (url.includes("/dist/src/")) return "library (dist/src)";
  if (url.includes("/dist/bench/")) return "bench harness";
  if (url.includes("@nats-io/")) return "nats.js";
  if (url.includes("/node_modules/express") || url.includes("/node_modules/router") || url.includes("/node_modules/body-parser")) return "express";
  if (url.includes("/node_modules/tsyringe") || url.includes("/node_modules/reflect-metadata")) return "tsyringe";
  if (url.includes("/node_modules/")) return "other packages";
  if (url.startsWith("node:")) return "node internals";
  return "other";
}

function shortWhere(url: string, line: number): string {
  if (!url) return "";
  const trimmed = url.replace(/^file:\/\//, "").replace(/^.*\/node_modules\//, "").replace(/^.*\/dist\//, "dist/");
  return `${trimmed}:${line + 1}`;
}

export async function summarizeProfile(file: string): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const functions = new Map<string, FunctionTime>();
  const areas = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const name = functionName || "(anonymous)";
    const area = areaOf(url, name);
    if (area === "idle") continue;
    busyUs += us;
    areas.set(area, (areas.get(area) ?? 0) + us);
    const where = shortWhere(url, lineNumber);
    const key = `${name}@${where}`;
    const entry = functions.get(key) ?? { name, where, area, selfMs: 0 };
    entry.selfMs += us / 1000;
    functions.set(key, entry);
  }
  return {
    file,
    busyMs: busyUs / 1000,
    areas: [...areas].map(([area, us]) => ({ area, selfMs: us / 1000 })).sort((a, b) => b.selfMs - a.selfMs),
    functions: [...functions.values()].sort((a, b) => b.selfMs - a.selfMs),
  };
}

export function renderProfile(summary: ProfileSummary, top = 15): string {
  const pct = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1).padStart(5)}%`;
  const lines = [`${summary.file}  (busy ${summary.busyMs.toFixed(0)} ms)`];
  lines.push("  by area: " + summary.areas.map((a) => `${a.area} ${pct(a.selfMs).trim()}`).join(", "));
  for (const fn of summary.functions.slice(0, top)) {
    lines.push(`  ${pct(fn.selfMs)}  ${fn.name.padEnd(34)} ${fn.area.padEnd(20)} ${fn.where}`);
  }
  return lines.join("\n");
}

async function profileFiles(target: string): Promise<string[]> {
  if (!(await stat(target)).isDirectory()) return [target];
  const files: string[] = [];
  for (const entry of await readdir(target, { withFileTypes: true })) {
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) files.push(...(await profileFiles(full)));
    else if (entry.name.endsWith(".cpuprofile")) files.push(full);
  }
  return files.sort();
}

/** Every profile under `dir`, summarized (used by `npm run bench -- --cpu-prof`). */
export async function summarizeProfiles(dir: string, top = 15): Promise<string> {
  const files = await profileFiles(dir).catch(() => []);
  if (files.length === 0) return `no CPU profiles under ${dir}`;
  const out = [`CPU profiles (self time, idle excluded) under ${path.relative(process.cwd(), dir)}:`];
  for (const file of files) out.push("", renderProfile(await summarizeProfile(file), top));
  return out.join("\n");
}
