/** Small statistics helpers; no timing here, only arithmetic on what was measured. */

export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Nearest-rank percentile (p in 0..100) of already sorted values. */
export function percentile(sortedValues: readonly number[], p: number): number {
  if (sortedValues.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sortedValues.length);
  return sortedValues[Math.min(sortedValues.length, Math.max(1, rank)) - 1]!;
}

export function median(values: readonly number[]): number {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export function summarizeLatency(values: Float64Array | number[]): LatencySummary {
  const s = Float64Array.from(values).sort();
  let sum = 0;
  for (const value of s) sum += value;
  const at = (p: number) => s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1]!;
  return { count: s.length, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: s[s.length - 1]!, mean: sum / s.length };
}

/** Throughput from a count and a monotonic nanosecond interval. */
export function perSecond(count: number, nanoseconds: bigint | number): number {
  return count / (Number(nanoseconds) / 1e9);
}
