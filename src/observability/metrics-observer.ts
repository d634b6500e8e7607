import type { Delivery, BusStatus } from "../transport/transport.js";
import type { ConsumerState } from "../transport/transport.js";
import { DurationTally, pushTallies } from "./duration-tally.js";
import { HandlerDurationBuckets, type BusMetrics } from "./metrics.js";
import { errorCodeOf, type BusObserver, type DeliveryOutcome, type LifecycleEvent, type ListenerInfo } from "./observer.js";
import type { SubjectLabeler } from "./subject-label.js";

const STATUSES: readonly BusStatus[] = ["connecting", "connected", "reconnecting", "closed"];

/**
 * One listener's series. The handled counter and the in-flight gauge are read from the
 * runner's ListenerInfo (`handled`, `running`) and the handler durations kept in plain numbers,
 * all pushed into prom-client before each scrape (BusMetrics.beforeCollect); the rest are bound
 * label children.
 */
interface ListenerSeries {
  handledReported: number;
  readonly retried: { inc(): void };
  readonly success: DurationTally;
  readonly error: DurationTally;
  readonly labels: { subject: string; listener: string };
}

/** Counts what the bus does into the Prometheus metrics of busMetrics(). */
export class MetricsObserver implements BusObserver {
  readonly countsHandled = true;
  readonly #series = new Map<ListenerInfo, ListenerSeries>();
  /** Publishes accepted per subject label: plain numbers, pushed like `handled` (prom-client's inc() hashes labels on every call). */
  readonly #published = new Map<string, { count: number; reported: number }>();
  readonly #consumers = new Set<string>();

  constructor(
    private readonly metrics: BusMetrics,
    private readonly subjectLabel: SubjectLabeler,
  ) {
    metrics.beforeCollect.add(this.#flush);
  }

  /** Pushes the plain per-listener numbers into prom-client (delta for the counter and histogram, value for the gauge). */
  readonly #flush = (): void => {
    for (const [listener, series] of this.#series) {
      const delta = listener.handled - series.handledReported;
      if (delta > 0) this.metrics.handled.inc(series.labels, delta);
      series.handledReported = listener.handled;
      this.metrics.inFlight.set(series.labels, listener.running);
    }
    for (const [subject, tally] of this.#published) {
      if (tally.count > tally.reported) this.metrics.published.inc({ subject }, tally.count - tally.reported);
      tally.reported = tally.count;
    }
    pushTallies(this.metrics.handlerDuration, this.#tallies());
  };

  *#tallies(): Iterable<DurationTally> {
    for (const series of this.#series.values()) yield* [series.success, series.error];
  }

  lifecycle(event: LifecycleEvent): void {
    if (event.type === "connected") return this.#setStatus("connected");
    if (event.type === "status") {
      this.#setStatus(event.status);
      if (event.status === "connected" && event.previous === "reconnecting") this.metrics.reconnects.inc();
    }
    if (event.type === "subscribed") this.#seriesOf(event.listener); // the series exist (at 0) from the start
    if (event.type === "consumer-recovered") {
      const { stream, consumer, reason } = event.event;
      this.metrics.consumerRecoveries.inc({ stream, consumer, reason });
    }
  }

  published(subject: string, error: unknown): void {
    const label = this.subjectLabel(subject);
    if (error === undefined) {
      const tally = this.#published.get(label);
      if (tally) tally.count++;
      else this.#published.set(label, { count: 1, reported: 0 });
    } else {
      this.metrics.publishErrors.inc({ subject: label, code: errorCodeOf(error) });
    }
  }

  outcome(listener: ListenerInfo, _delivery: Delivery, outcome: DeliveryOutcome): void {
    const series = this.#seriesOf(listener);
    switch (outcome.kind) {
      case "failed":
        this.metrics.failed.inc({ ...series.labels, reason: outcome.reason });
        if (outcome.next === "retry") series.retried.inc();
        return;
      case "dead-lettered":
        if (outcome.stored) this.metrics.deadLettered.inc({ ...series.labels, reason: outcome.reason });
        return;
    }
  }

  handlerFinished(listener: ListenerInfo, _delivery: Delivery, seconds: number, failed: boolean): void {
    const series = this.#seriesOf(listener);
    (failed ? series.error : series.success).observe(seconds);
  }

  /** Sets the JetStream consumer gauges from a sample; consumers no longer reported are removed. */
  consumers(states: readonly ConsumerState[]): void {
    const seen = new Set<string>();
    for (const state of states) {
      const labels = { stream: state.stream, consumer: state.name };
      seen.add(`${state.stream}\u0000${state.name}`);
      this.metrics.consumerPending.set(labels, state.pending);
      this.metrics.consumerAckPending.set(labels, state.ackPending);
      this.metrics.consumerRedelivered.set(labels, state.redelivered);
    }
    for (const key of this.#consumers) {
      if (seen.has(key)) continue;
      const [stream = "", consumer = ""] = key.split("\u0000");
      for (const gauge of [this.metrics.consumerPending, this.metrics.consumerAckPending, this.metrics.consumerRedelivered]) gauge.remove({ stream, consumer });
    }
    this.#consumers.clear();
    for (const key of seen) this.#consumers.add(key);
  }

  #setStatus(status: BusStatus): void {
    for (const each of STATUSES) this.metrics.connectionStatus.set({ status: each }, each === status ? 1 : 0);
  }

  #seriesOf(listener: ListenerInfo): ListenerSeries {
    let series = this.#series.get(listener);
    if (!series) {
      const labels = { subject: listener.subject, listener: listener.id };
      const { metrics } = this;
      series = {
        labels,
        handledReported: 0,
        retried: metrics.retried.labels(labels),
        success: new DurationTally({ ...labels, outcome: "success" }, HandlerDurationBuckets),
        error: new DurationTally({ ...labels, outcome: "error" }, HandlerDurationBuckets),
      };
      // Zero-valued series from the start, so rate() and alerts see them before the first message.
      metrics.handled.inc(labels, 0);
      metrics.retried.inc(labels, 0);
      metrics.inFlight.inc(labels, 0);
      this.#series.set(listener, series);
    }
    return series;
  }
}
