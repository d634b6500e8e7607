import type { Histogram } from "prom-client";

/**
 * One histogram series kept in plain numbers on the dispatch path: prom-client 15
 * re-hashes the label set on every observe(), even through a bound child, which cost
 * about 8 % of a listener's CPU. The counts are pushed into the prom-client histogram
 * before each scrape (pushTallies), so /metrics shows what observe() would have shown.
 */
export class DurationTally {
  /** Observations per bucket, not cumulative: index i counts values in (bounds[i-1], bounds[i]]. */
  readonly #perBucket: Float64Array;
  readonly #reportedPerBucket: Float64Array;
  #sum = 0;
  #count = 0;
  #reportedSum = 0;
  #reportedCount = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    readonly bounds: readonly number[],
  ) {
    this.#perBucket = new Float64Array(bounds.length);
    this.#reportedPerBucket = new Float64Array(bounds.length);
  }

  /** Same bucket choice as prom-client: the first bound >= value; above the last one, only +Inf (the count). */
  observe(value: number): void {
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.#perBucket[i]!++;
        break;
      }
    }
    this.#sum += value;
    this.#count++;
  }

  /**
   * Adds what was observed since the last push to `entry` (prom-client's state of this
   * label set): added, not set, so several buses sharing the metric add up and a
   * registry reset starts again from zero, as with observe().
   */
  pushInto(entry: HistogramEntry): void {
    for (let i = 0; i < this.bounds.length; i++) {
      const bound = this.bounds[i]!;
      entry.bucketValues[bound] = (entry.bucketValues[bound] ?? 0) + this.#perBucket[i]! - this.#reportedPerBucket[i]!;
    }
    this.#reportedPerBucket.set(this.#perBucket);
    entry.sum += this.#sum - this.#reportedSum;
    entry.count += this.#count - this.#reportedCount;
    this.#reportedSum = this.#sum;
    this.#reportedCount = this.#count;
  }

  get pending(): boolean {
    return this.#count !== this.#reportedCount;
  }
}

/**
 * prom-client 15's state of one label set of a histogram (`hashMap` values: labels,
 * per-bound counts, sum, count). It has no public setter, so this is the one place that
 * reaches inside; test/unit/duration-tally.test.ts checks the output against observe().
 */
interface HistogramEntry {
  readonly labels: Record<string, string | number>;
  readonly bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/**
 * Pushes the tallies with something new into `histogram`. An entry missing (first push, or
 * after a registry reset) is created by prom-client's own zero(), so its label hash is prom-client's.
 */
export function pushTallies(histogram: Histogram<string>, tallies: Iterable<DurationTally>): void {
  let byLabels: Map<string, HistogramEntry> | undefined;
  for (const tally of tallies) {
    if (!tally.pending) continue;
    byLabels ??= entriesByLabels(histogram);
    const key = labelKey(tally.labels);
    let entry = byLabels.get(key);
    if (!entry) {
      histogram.zero(tally.labels);
      byLabels = entriesByLabels(histogram);
      entry = byLabels.get(key);
      if (!entry) throw new Error(`prom-client histogram: no state for ${key} after zero(); is prom-client still 15.x?`);
    }
    tally.pushInto(entry);
  }
}

function entriesByLabels(histogram: Histogram<string>): Map<string, HistogramEntry> {
  const { hashMap } = histogram as unknown as { hashMap: Record<string, HistogramEntry> };
  return new Map(Object.values(hashMap).map((entry) => [labelKey(entry.labels), entry]));
}

function labelKey(labels: Readonly<Record<string, string | number>>): string {
  return JSON.stringify(Object.keys(labels).sort().map((name) => [name, String(labels[name])]));
}
