import { context, ProxyTracerProvider, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from "@opentelemetry/api";
import { currentEventContext, spanContextOf } from "../context/event-context.js";
import type { Delivery } from "../transport/transport.js";
import { errorCodeOf, type BusObserver, type ListenerInfo } from "./observer.js";
import type { SubjectLabeler } from "./subject-label.js";

/** What the global provider delegates to while no SDK registered one. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();
const TRACER_NAME = "express-nats-events";

/** Is an OpenTelemetry SDK installed (a tracer provider registered)? Checked per call: an SDK may start after the bus. */
export function tracingEnabled(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_PROVIDER;
}

/**
 * OpenTelemetry spans through @opentelemetry/api: a PRODUCER span per publish and a
 * CONSUMER span per handled message, with the messaging semantic attributes. The consumer
 * span's parent is the traceparent the message carried, and the handler runs inside it, so
 * what the handler publishes continues the same trace. Without an SDK it does nothing
 * (one check per message, no span objects).
 */
export class TracingObserver implements BusObserver {
  constructor(private readonly subjectLabel: SubjectLabeler) {}

  wrapPublish<T>(subject: string, run: () => Promise<T>): Promise<T> {
    if (!tracingEnabled()) return run();
    const parent = publishParent();
    const span = trace.getTracer(TRACER_NAME).startSpan(`publish ${this.subjectLabel(subject)}`, {
      kind: SpanKind.PRODUCER,
      attributes: {
        "messaging.system": "nats",
        "messaging.operation.type": "send",
        "messaging.operation.name": "publish",
        "messaging.destination.name": subject,
        ...correlation(),
      },
    }, parent);
    return ended(span, context.with(trace.setSpan(parent, span), run));
  }

  /** Without an SDK the handler is not wrapped at all (the observer set asks this per call). */
  wrapping(): boolean {
    return tracingEnabled();
  }

  wrapHandler<T>(listener: ListenerInfo, delivery: Delivery, run: () => Promise<T>): Promise<T> {
    if (!tracingEnabled()) return run();
    const parent = remoteParent(ROOT_CONTEXT);
    const attributes: Attributes = {
      "messaging.system": "nats",
      "messaging.operation.type": "process",
      "messaging.operation.name": "process",
      "messaging.destination.name": delivery.subject,
      "messaging.destination.template": listener.subject,
      "messaging.destination.subscription.name": listener.id,
      "messaging.message.body.size": delivery.data.length,
      "messaging.nats.delivery_count": delivery.deliveryCount,
      ...correlation(),
    };
    if (listener.queueGroup) attributes["messaging.consumer.group.name"] = listener.queueGroup;
    const msgId = delivery.headers["Nats-Msg-Id"];
    if (msgId) attributes["messaging.message.id"] = msgId;
    const span = trace.getTracer(TRACER_NAME).startSpan(`process ${listener.subject}`, { kind: SpanKind.CONSUMER, attributes }, parent);
    return ended(span, context.with(trace.setSpan(parent, span), run));
  }
}

/** The active span when there is one (an instrumented HTTP request, a handler's span), else the chain's traceparent. */
function publishParent(): Context {
  const active = context.active();
  return trace.getSpan(active) ? active : remoteParent(active);
}

/** `base` with the traceparent of the current event context (the message or request) as remote parent, if it has one. */
function remoteParent(base: Context): Context {
  const event = currentEventContext();
  const remote = spanContextOf(event?.traceparent, event?.tracestate);
  return remote ? trace.setSpanContext(base, remote) : base;
}

function correlation(): Attributes {
  const id = currentEventContext()?.correlationId;
  return id ? { "messaging.message.conversation_id": id } : {};
}

/** Ends the span when `result` settles (status ERROR with the exception and error.type on failure); returns `result`. */
function ended<T>(span: Span, result: Promise<T>): Promise<T> {
  result.then(
    () => span.end(),
    (error: unknown) => {
      span.recordException(error instanceof Error ? error : String(error));
      span.setAttribute("error.type", errorCodeOf(error) === "UNKNOWN" ? (error as Error)?.name ?? "Error" : errorCodeOf(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      span.end();
    },
  );
  return result;
}
