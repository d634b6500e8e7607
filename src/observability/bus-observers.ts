import type { Registry } from "prom-client";
import type { EventBusOptions } from "../bus/options.js";
import { listenerRegistry } from "../listeners/registry.js";
import type { Logger } from "../logger.js";
import { LogObserver } from "./log-observer.js";
import { busMetrics } from "./metrics.js";
import { MetricsObserver } from "./metrics-observer.js";
import type { BusObserver } from "./observer.js";
import { ObserverSet } from "./observer-set.js";
import { createSubjectLabeler, type SubjectLabeler } from "./subject-label.js";
import { TracingObserver } from "./tracing-observer.js";

/**
 * The observers of one bus: logs always, OpenTelemetry spans (active only with an SDK),
 * Prometheus metrics unless `metrics: false`, then the user's own, in that order.
 */
export function createBusObservers(
  options: EventBusOptions,
  logger: Logger,
  extra: { metricsRegistry?: Registry; subjectLabel?: SubjectLabeler; observers?: readonly BusObserver[] },
): { observers: ObserverSet; metrics: MetricsObserver | undefined } {
  const labeler =
    extra.subjectLabel ??
    createSubjectLabeler([...options.metricsSubjects, ...listenerRegistry.all().map((spec) => spec.subject), ...options.streams.flatMap((stream) => stream.subjects)]);
  const metrics = options.metrics ? new MetricsObserver(busMetrics(extra.metricsRegistry), labeler) : undefined;
  const observers = new ObserverSet([new LogObserver(logger), new TracingObserver(labeler), ...(metrics ? [metrics] : []), ...(extra.observers ?? [])]);
  return { observers, metrics };
}
