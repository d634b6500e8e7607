/**
 * The handler-duration histogram is kept in plain numbers (DurationTally) and pushed into
 * prom-client at scrape time: the scrape must equal what prom-client's own observe()
 * produces for the same values, bucket by bucket (+Inf included), _sum and _count.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Histogram, Registry } from "prom-client";
import { DurationTally, pushTallies } from "../../src/observability/duration-tally.js";
import { HandlerDurationBuckets, MetricNames } from "../../src/observability/metrics.js";

const labelNames = ["subject", "listener", "outcome"] as const;
const success = { subject: "orders.*", listener: "Orders.created", outcome: "success" };
const error = { ...success, outcome: "error" };

/** The same histogram twice: one fed by observe(), one by tallies pushed in its collect callback. */
function pair(tallies: DurationTally[]) {
  const observed = new Registry();
  const pushed = new Registry();
  const histogram = (registry: Registry, collect?: () => void) =>
    new Histogram({ name: MetricNames.handlerDuration, help: "h", labelNames, buckets: [...HandlerDurationBuckets], registers: [registry], ...(collect && { collect }) });
  const byObserve = histogram(observed);
  const byPush = histogram(pushed, () => pushTallies(byPush, tallies));
  return { observed, pushed, byObserve, byPush };
}

async function assertSame(observed: Registry, pushed: Registry): Promise<string> {
  const text = await pushed.metrics();
  assert.equal(text, await observed.metrics());
  assert.deepEqual(await pushed.getMetricsAsJSON(), await observed.getMetricsAsJSON());
  return text;
}

describe("DurationTally pushed into prom-client", () => {
  test("one scrape equals observe() for the same values: every bucket, bounds themselves, above the last bound (+Inf only), _sum, _count", async () => {
    const ok = new DurationTally(success, HandlerDurationBuckets);
    const failed = new DurationTally(error, HandlerDurationBuckets);
    const { observed, pushed, byObserve } = pair([ok, failed]);
    const values = [0, 0.0004, 0.001, 0.0010001, 0.0042, 0.005, 0.0123, 0.07, 0.3, 0.99, 1, 2.4, 4.2, 7, 10, 29.9, 30, 30.0001, 45, 123.456];
    for (const value of values) {
      byObserve.observe(success, value);
      ok.observe(value);
    }
    byObserve.observe(error, 0.002);
    failed.observe(0.002);
    const text = await assertSame(observed, pushed);
    // Not vacuous: the values above 30 s are only in +Inf.
    assert.match(text, /nats_events_handler_duration_seconds_bucket\{le="30",subject="orders\.\*",listener="Orders\.created",outcome="success"\} 17\n/);
    assert.match(text, /nats_events_handler_duration_seconds_bucket\{le="\+Inf",subject="orders\.\*",listener="Orders\.created",outcome="success"\} 20\n/);
    assert.match(text, /nats_events_handler_duration_seconds_count\{subject="orders\.\*",listener="Orders\.created",outcome="error"\} 1/);
  });

  test("a tally with no observation adds no series, as observe() never called adds none", async () => {
    const ok = new DurationTally(success, HandlerDurationBuckets);
    const failed = new DurationTally(error, HandlerDurationBuckets);
    const { observed, pushed, byObserve } = pair([ok, failed]);
    byObserve.observe(success, 0.02);
    ok.observe(0.02);
    const text = await assertSame(observed, pushed);
    assert.doesNotMatch(text, /outcome="error"/);
  });

  test("several scrapes, two tallies of the same label set (two buses) and a reset add up as observe() does", async () => {
    const first = new DurationTally(success, HandlerDurationBuckets);
    const second = new DurationTally(success, HandlerDurationBuckets);
    const { observed, pushed, byObserve, byPush } = pair([first, second]);
    // Binary fractions, so the sums are exact whatever the order of additions.
    const rounds = [[0.5, 0.0009765625, 2], [40, 0.25], [0.015625, 8, 0.5, 0.5]];
    for (const [i, round] of rounds.entries()) {
      for (const value of round) {
        byObserve.observe(success, value);
        (i % 2 === 0 ? first : second).observe(value);
      }
      await assertSame(observed, pushed);
    }
    byObserve.reset();
    byPush.reset();
    await assertSame(observed, pushed);
    for (const value of [0.125, 64]) {
      byObserve.observe(success, value);
      first.observe(value);
    }
    const text = await assertSame(observed, pushed);
    assert.match(text, /nats_events_handler_duration_seconds_count\{[^}]*\} 2\n/);
  });
});
