import type { RowResult, Unit } from "./report.js";

/** What `npm run bench` writes (only the parts the chart reads). */
export interface BenchResults {
  readonly meta: { readonly startedAt: string; readonly natsServer: string; readonly cpu: string; readonly node: string; readonly rounds: number; readonly quick: boolean };
  readonly scenarios: ReadonlyArray<{ readonly id: number; readonly title: string }>;
  readonly rows: readonly RowResult[];
}

/** Units where a bigger number is the better one (throughput, scaling); for the rest smaller is better. */
const HIGHER_IS_BETTER: ReadonlySet<Unit> = new Set(["msg/s", "req/s", "×"]);
/** Within this much of raw nats.js a ratio counts as parity (drawn grey). */
const PARITY = 0.05;

const LABEL_WIDTH = 430;
const PLOT_WIDTH = 420;
const ROW_HEIGHT = 20;
const CHAR_WIDTH = 6.4; // 11 px monospace

/**
 * An SVG bar chart of lib ÷ raw per metric, grouped by scenario, on a log scale centred on
 * 1 (parity), so 0.5× and 2× are equally far from it. Green: the library does better than raw
 * nats.js on that metric, red: worse, grey: within 5 %. Ratio targets are drawn as ticks.
 */
export function renderRatioChart(results: BenchResults, source: string): string {
  const rows = results.rows.filter((row) => Number.isFinite(row.ratio) && row.ratio > 0 && row.rawSpread.median > 0);
  const extent = Math.max(2, ...rows.map((row) => Math.max(row.ratio, 1 / row.ratio)), ...rows.flatMap((row) => (row.target?.kind.startsWith("ratio") ? [Math.max(row.target.value, 1 / row.target.value)] : [])));
  const span = Math.log(extent * 1.1);
  const x = (ratio: number) => LABEL_WIDTH + PLOT_WIDTH / 2 + (Math.log(ratio) / span) * (PLOT_WIDTH / 2);

  const body: string[] = [];
  let y = 64;
  for (const scenario of results.scenarios) {
    const own = rows.filter((row) => row.scenario === scenario.id);
    if (own.length === 0) continue;
    body.push(text(8, y + 13, `${scenario.id}. ${scenario.title}`, { weight: "bold" }));
    y += ROW_HEIGHT;
    for (const row of own) {
      const better = HIGHER_IS_BETTER.has(row.unit) ? row.ratio > 1 : row.ratio < 1;
      const colour = Math.abs(row.ratio - 1) <= PARITY ? "#9e9e9e" : better ? "#2e7d32" : "#c62828";
      const [from, to] = [x(Math.min(1, row.ratio)), x(Math.max(1, row.ratio))];
      body.push(text(20, y + 13, clip(`${row.metric} (${row.unit}, ${HIGHER_IS_BETTER.has(row.unit) ? "higher" : "lower"} is better)`, LABEL_WIDTH - 28)));
      body.push(`<rect x="${from.toFixed(1)}" y="${y + 3}" width="${Math.max(1, to - from).toFixed(1)}" height="${ROW_HEIGHT - 6}" fill="${colour}"><title>${escape(`${row.metric}: lib ${row.libSpread.median} ÷ raw ${row.rawSpread.median} ${row.unit} = ${row.ratio.toFixed(3)}`)}</title></rect>`);
      if (row.target?.kind.startsWith("ratio")) {
        const tick = x(row.target.value);
        body.push(`<line x1="${tick.toFixed(1)}" y1="${y + 1}" x2="${tick.toFixed(1)}" y2="${y + ROW_HEIGHT - 1}" stroke="#000" stroke-width="2" stroke-dasharray="3,2"/>`);
      }
      const valueX = row.ratio >= 1 ? to + 4 : from - 4;
      body.push(text(valueX, y + 13, `${row.ratio.toFixed(2)}×`, { anchor: row.ratio >= 1 ? "start" : "end" }));
      y += ROW_HEIGHT;
    }
  }

  const height = y + 40;
  const width = LABEL_WIDTH + PLOT_WIDTH + 60;
  const axis = [0.25, 0.5, 1, 2, 4, 8, 16].filter((tick) => tick <= extent * 1.1 && 1 / tick <= extent * 1.1);
  const axisSvg = axis.flatMap((tick) => [
    `<line x1="${x(tick).toFixed(1)}" y1="56" x2="${x(tick).toFixed(1)}" y2="${y}" stroke="${tick === 1 ? "#000" : "#ddd"}" stroke-width="${tick === 1 ? 1.5 : 1}"/>`,
    text(x(tick), y + 16, `${tick}×`, { anchor: "middle" }),
  ]);
  const { meta } = results;
  const title = `lib ÷ raw nats.js per metric — ${meta.startedAt}${meta.quick ? " (QUICK smoke run: not numbers to quote)" : ""}`;
  const subtitle = `nats-server ${meta.natsServer.replace(/ \(.*\)$/, "")}, node ${meta.node}, ${meta.cpu}, ${meta.rounds} round(s) per side; from ${source}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    text(8, 20, title, { weight: "bold", size: 13 }),
    text(8, 38, clip(subtitle, width - 16)),
    text(8, y + 32, "green: the library does better than raw nats.js, red: worse, grey: within 5 %; dashed tick: the ratio target", {}),
    ...axisSvg,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

function text(x: number, y: number, content: string, style: { anchor?: "start" | "middle" | "end"; weight?: "bold"; size?: number } = {}): string {
  const attributes = [`x="${x.toFixed(1)}"`, `y="${y}"`];
  if (style.anchor && style.anchor !== "start") attributes.push(`text-anchor="${style.anchor}"`);
  if (style.weight) attributes.push(`font-weight="${style.weight}"`);
  if (style.size) attributes.push(`font-size="${style.size}"`);
  return `<text ${attributes.join(" ")}>${escape(content)}</text>`;
}

function clip(content: string, widthPx: number): string {
  const max = Math.floor(widthPx / CHAR_WIDTH);
  return content.length <= max ? content : `${content.slice(0, max - 1)}…`;
}

function escape(content: string): string {
  return content.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}
