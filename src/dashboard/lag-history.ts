/**
 * Pending counts of each consumer as this web process saw them on successive page views,
 * to tell a lag that keeps growing from one that is merely there. Kept in memory, a few
 * samples per consumer; a sample is taken at most every `minGapMs`.
 */
export class LagHistory {
  readonly #samples = new Map<string, Array<[time: number, pending: number]>>();

  constructor(
    private readonly minGapMs = 5_000,
    private readonly keep = 4,
  ) {}

  record(key: string, pending: number, now = Date.now()): void {
    const samples = this.#samples.get(key) ?? [];
    const last = samples.at(-1);
    if (last && now - last[0] < this.minGapMs) return;
    samples.push([now, pending]);
    if (samples.length > this.keep) samples.shift();
    this.#samples.set(key, samples);
  }

  /** Three or more samples, each pending count higher than the one before. */
  growing(key: string): boolean {
    const samples = this.#samples.get(key) ?? [];
    if (samples.length < 3) return false;
    return samples.every(([, pending], index) => index === 0 || pending > samples[index - 1]![1]);
  }
}
