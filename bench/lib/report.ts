import { spread, type Spread } from "./stats.js";

export type Unit = "msg/s" | "req/s" | "µs" | "ms" | "s" | "MB" | "×";

/**
 * What a target checks:
 * - ratio-min / ratio-max: lib median ÷ raw median at least / at most `value`;
 * - lib-min / lib-max: the library's own median at least / at most `value`
 *   (absolute targets: scaling factor, time to finish, memory growth).
 */
export interface Target {
  kind: "ratio-min" | "ratio-max" | "lib-min" | "lib-max";
  value: number;
}

export interface Row {
  scenario: number;
  metric: string;
  unit: Unit;
  /** One value per round, in round order (raw and lib rounds were interleaved). */
  raw: number[];
  lib: number[];
  target?: Target;
  note?: string;
}

export interface RowResult extends Row {
  rawSpread: Spread;
  libSpread: Spread;
  /** lib median ÷ raw median. */
  ratio: number;
  status: "met" | "missed" | "";
  targetText: string;
}

export function evaluate(row: Row): RowResult {
  const rawSpread = spread(row.raw);
  const libSpread = spread(row.lib);
  const ratio = libSpread.median / rawSpread.median;
  let status: RowResult["status"] = "";
  let targetText = "";
  const t = row.target;
  if (t) {
    const value = t.kind.startsWith("ratio") ? ratio : libSpread.median;
    const atLeast = t.kind.endsWith("min");
    status = (atLeast ? value >= t.value : value <= t.value) ? "met" : "missed";
    targetText = `${t.kind.startsWith("ratio") ? "ratio" : "lib"} ${atLeast ? "≥" : "≤"} ${t.kind.startsWith("ratio") ? t.value.toFixed(2) : format(t.value, row.unit)}`;
  }
  return { ...row, rawSpread, libSpread, ratio, status, targetText };
}

export function format(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return "-";
  switch (unit) {
    case "msg/s":
    case "req/s":
      return value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : value >= 1000 ? `${(value / 1000).toFixed(2)}k` : value.toFixed(0);
    case "µs":
      return value >= 100 ? value.toFixed(0) : value.toFixed(2);
    case "ms":
      return value >= 100 ? value.toFixed(0) : value.toFixed(2);
    case "s":
      return value.toFixed(2);
    case "MB":
      return value.toFixed(1);
    case "×":
      return value.toFixed(2);
  }
}

function triple(s: Spread, unit: Unit): string {
  return `${format(s.min, unit)} / ${format(s.median, unit)} / ${format(s.max, unit)}`;
}

/** The table the bench prints: one line per metric, raw and library side by side. */
export function renderTable(results: readonly RowResult[]): string {
  const header = ["#", "metric", "unit", "raw min / median / max", "lib min / median / max", "lib/raw", "target", "status"];
  const lines = results.map((r) => [
    String(r.scenario),
    r.metric,
    r.unit,
    triple(r.rawSpread, r.unit),
    triple(r.libSpread, r.unit),
    Number.isFinite(r.ratio) && r.rawSpread.median > 0 && r.libSpread.median > 0 ? r.ratio.toFixed(2) : "-",
    r.targetText,
    r.status,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const render = (cells: string[]) => cells.map((cell, i) => (i >= 3 && i <= 5 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const out = [render(header), rule];
  let previous: number | undefined;
  for (const [index, line] of lines.entries()) {
    if (previous !== undefined && results[index]!.scenario !== previous) out.push("");
    previous = results[index]!.scenario;
    out.push(render(line));
  }
  const notes = results.filter((r) => r.note).map((r) => `  [${r.scenario}] ${r.metric}: ${r.note}`);
  if (notes.length) out.push("", "notes:", ...notes);
  return out.join("\n");
}
