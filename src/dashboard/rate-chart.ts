import type { LiveProcess } from "../discovery/discover.js";
import { html, type Html } from "./html.js";

export interface RatePoint {
  readonly start: number;
  readonly handled: number;
  readonly failed: number;
  readonly deadLettered: number;
}

/** Every listener's history of every process added up per bucket, over the last `buckets` buckets (empty ones as zeros). */
export function activityTimeline(processes: readonly LiveProcess[], bucketMs: number, buckets: number, now = Date.now()): RatePoint[] {
  const current = now - (now % bucketMs);
  const points = Array.from({ length: buckets }, (_, index) => ({ start: current - (buckets - 1 - index) * bucketMs, handled: 0, failed: 0, deadLettered: 0 }));
  const first = points[0]!.start;
  for (const process of processes) {
    for (const listener of process.listeners) {
      for (const [start, handled, failed, deadLettered] of listener.activity.history) {
        const point = points[Math.floor((start - first) / bucketMs)];
        if (!point || start < first) continue;
        point.handled += handled;
        point.failed += failed;
        point.deadLettered += deadLettered;
      }
    }
  }
  return points;
}

const WIDTH = 900;
const HEIGHT = 180;
const PAD = { left: 48, right: 8, top: 10, bottom: 22 };
const SERIES = [
  ["handled", "#1f7a3d"],
  ["failed", "#a86200"],
  ["deadLettered", "#b3261e"],
] as const;

/** An inline SVG line chart of the three rates (per second), no script needed. */
export function rateChart(points: readonly RatePoint[], bucketMs: number): Html {
  const perSecond = (count: number) => count / (bucketMs / 1000);
  const max = Math.max(1, ...points.flatMap((point) => SERIES.map(([key]) => perSecond(point[key]))));
  const x = (index: number) => PAD.left + (index * (WIDTH - PAD.left - PAD.right)) / Math.max(points.length - 1, 1);
  const y = (value: number) => HEIGHT - PAD.bottom - (value / max) * (HEIGHT - PAD.top - PAD.bottom);
  const minutes = Math.round((points.length * bucketMs) / 60_000);
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="none" role="img" aria-label="handled, failed and dead-lettered messages per second over the last ${minutes} minutes">
<line class="axis" x1="${PAD.left}" y1="${y(0)}" x2="${WIDTH - PAD.right}" y2="${y(0)}"/>
<line class="axis" x1="${PAD.left}" y1="${y(max)}" x2="${WIDTH - PAD.right}" y2="${y(max)}"/>
<text x="4" y="${y(max) + 4}">${formatRate(max)}/s</text>
<text x="4" y="${y(0)}">0</text>
<text x="${PAD.left}" y="${HEIGHT - 4}">−${minutes} min</text>
<text x="${WIDTH - PAD.right - 24}" y="${HEIGHT - 4}">now</text>
${SERIES.map(
  ([key, color]) => html`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((point, index) => `${x(index).toFixed(1)},${y(perSecond(point[key])).toFixed(1)}`).join(" ")}"/>`,
)}
</svg>`;
}

function formatRate(value: number): string {
  return value >= 10 ? value.toFixed(0) : value.toFixed(1);
}
