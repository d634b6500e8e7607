import promClient, { Counter, Gauge, Histogram, type Registry } from "prom-client";

/**
 * The Prometheus metrics of the bus (prom-client), registered once per registry: by
 * default prom-client's global `register`, so they are served next to the application's
 * own metrics; pass `metricsRegistry` to bus.connect() to use another one.
 *
 * Naming follows Prometheus conventions: a `nats_events_` prefix, `_total` for counters,
 * base units (`_seconds`), and labels with bounded values only: `subject` is a pattern
 * (the @Listen subject for handlers, a mapped label for publishes; never a concrete
 * subject with ids), `listener` is "Class.method", `stream`/`consumer` are configured names.
 */
export interface BusMetrics {
  readonly published: Counter<"subject">;
  readonly publishErrors: Counter<"subject" | "code">;
  readonly handled: Counter<"subject" | "listener">;
  readonly failed: Counter<"subject" | "listener" | "reason">;
  readonly retried: Counter<"subject" | "listener">;
  readonly deadLettered: Counter<"subject" | "listener" | "reason">;
  readonly handlerDuration: Histogram<"subject" | "listener" | "outcome">;
  readonly inFlight: Gauge<"subject" | "listener">;
  readonly connectionStatus: Gauge<"status">;
  readonly reconnects: Counter<never>;
  readonly consumerPending: Gauge<"stream" | "consumer">;
  readonly consumerAckPending: Gauge<"stream" | "consumer">;
  readonly consumerRedelivered: Gauge<"stream" | "consumer">;
  readonly consumerRecoveries: Counter<"stream" | "consumer" | "reason">;
  /**
   * Called before each scrape. Per-message counts (handled, in flight, handler durations) are kept in plain
   * numbers by the observers and pushed into prom-client here: prom-client hashes the label
   * set on every update, which cost microseconds per message on the dispatch path.
   */
  readonly beforeCollect: Set<() => void>;
}

/** The metric names, for docs and tests. */
export const MetricNames = {
  published: "nats_events_published_total",
  publishErrors: "nats_events_publish_errors_total",
  handled: "nats_events_handled_total",
  failed: "nats_events_failed_total",
  retried: "nats_events_retried_total",
  deadLettered: "nats_events_dead_lettered_total",
  handlerDuration: "nats_events_handler_duration_seconds",
  inFlight: "nats_events_handlers_in_flight",
  connectionStatus: "nats_events_connection_status",
  reconnects: "nats_events_reconnects_total",
  consumerPending: "nats_events_consumer_pending_messages",
  consumerAckPending: "nats_events_consumer_ack_pending_messages",
  consumerRedelivered: "nats_events_consumer_redelivered_messages",
  consumerRecoveries: "nats_events_consumer_recoveries_total",
} as const;

/** The upper bounds of the handler-duration histogram's buckets, in seconds (+Inf is implied). */
export const HandlerDurationBuckets: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const byRegistry = new WeakMap<Registry, BusMetrics>();

/** The bus metrics of `registry`, created and registered on first use (several buses in one process share them). */
export function busMetrics(registry: Registry = promClient.register): BusMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = createMetrics(registry);
    byRegistry.set(registry, metrics);
  }
  return metrics;
}

function createMetrics(registry: Registry): BusMetrics {
  const registers = [registry];
  const beforeCollect = new Set<() => void>();
  const collect = () => {
    for (const flush of beforeCollect) flush();
  };
  // A metric of that name registered by another copy of this library is reused, not duplicated.
  const existing = <M>(name: string) => registry.getSingleMetric(name) as M | undefined;
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[], flushed = false) =>
    existing<Counter<L>>(name) ?? new Counter<L>({ name, help, labelNames, registers, ...(flushed && { collect }) });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], flushed = false) =>
    existing<Gauge<L>>(name) ?? new Gauge<L>({ name, help, labelNames, registers, ...(flushed && { collect }) });
  return {
    beforeCollect,
    published: counter(MetricNames.published, "Messages accepted by the transport, by subject pattern.", ["subject"], true),
    publishErrors: counter(MetricNames.publishErrors, "Publishes the transport refused, by subject pattern and error code.", ["subject", "code"]),
    handled: counter(MetricNames.handled, "Messages whose handler succeeded, by @Listen subject and listener.", ["subject", "listener"], true),
    failed: counter(MetricNames.failed, "Handler failures (each failed delivery counts) and undecodable messages.", ["subject", "listener", "reason"]),
    retried: counter(MetricNames.retried, "Failed deliveries handed back for redelivery after a backoff delay.", ["subject", "listener"]),
    deadLettered: counter(MetricNames.deadLettered, "Messages copied to the dead-letter subject, by reason.", ["subject", "listener", "reason"]),
    handlerDuration:
      existing<Histogram<"subject" | "listener" | "outcome">>(MetricNames.handlerDuration) ??
      new Histogram({
        name: MetricNames.handlerDuration,
        help: "Time spent in handlers, by outcome (success or error).",
        labelNames: ["subject", "listener", "outcome"],
        buckets: [...HandlerDurationBuckets],
        registers,
        collect,
      }),
    inFlight: gauge(MetricNames.inFlight, "Handler calls running now.", ["subject", "listener"], true),
    connectionStatus: gauge(MetricNames.connectionStatus, "1 for the current connection status (connecting, connected, reconnecting, closed), 0 for the others.", ["status"]),
    reconnects: counter(MetricNames.reconnects, "Times the connection to NATS was re-established after it was lost.", []),
    consumerPending: gauge(MetricNames.consumerPending, "JetStream: messages in the stream not yet delivered to the consumer (sampled).", ["stream", "consumer"]),
    consumerAckPending: gauge(MetricNames.consumerAckPending, "JetStream: messages delivered to the consumer and not yet acknowledged (sampled).", ["stream", "consumer"]),
    consumerRedelivered: gauge(MetricNames.consumerRedelivered, "JetStream: messages of the consumer delivered more than once and not yet acknowledged (sampled).", ["stream", "consumer"]),
    consumerRecoveries: counter(MetricNames.consumerRecoveries, "JetStream: times a listener's consumer stalled (lost pull after a leader change, consumer deleted, no leader) and delivered again, by reason.", ["stream", "consumer", "reason"]),
  };
}
