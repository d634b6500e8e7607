import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { createTraceState, isSpanContextValid, trace, type SpanContext } from "@opentelemetry/api";
import type { MessageHeaders } from "../transport/transport.js";

/**
 * What ties one chain of work together (HTTP request → event → listener → event):
 * a correlation id, and the W3C trace context (traceparent/tracestate). It lives in an
 * AsyncLocalStorage: the Express middleware `eventContext()` sets it for a request, the
 * ListenerRunner for each handled message; every publish made inside copies it into
 * the message's NATS headers.
 */
export interface EventContext {
  readonly correlationId: string;
  /** W3C `traceparent` (`00-<trace id>-<parent id>-<flags>`), when the chain has one. */
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/** Header names, on HTTP requests and on NATS messages alike. */
export const ContextHeaders = {
  correlationId: "X-Correlation-Id",
  traceparent: "traceparent",
  tracestate: "tracestate",
} as const;

const storage = new AsyncLocalStorage<EventContext>();
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
/** Bounded and printable: a correlation id ends up in logs, headers and span attributes. */
const CORRELATION_ID = /^[\x21-\x7e]{1,128}$/;

/** The context of the request or message being handled right now, if any. */
export function currentEventContext(): EventContext | undefined {
  return storage.getStore();
}

/** Runs `fn` (and everything it starts asynchronously) with `context` as the current event context. */
export function runWithEventContext<T>(context: EventContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The trace id of a valid traceparent, else undefined. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (!match || match[1] === "ff" || /^0+$/.test(match[2]!) || /^0+$/.test(match[3]!)) return undefined;
  return match[2];
}

/** The parts of a valid traceparent as an OpenTelemetry remote span context. */
export function spanContextOf(traceparent: string | undefined, tracestate?: string): SpanContext | undefined {
  const traceId = traceIdOf(traceparent);
  if (!traceId) return undefined;
  const [, , spanId, flags] = traceparent!.split("-");
  const spanContext: SpanContext = { traceId, spanId: spanId!, traceFlags: parseInt(flags!, 16) & 1, isRemote: true };
  return tracestate ? { ...spanContext, traceState: createTraceState(tracestate) } : spanContext;
}

/**
 * The context a message (or request) carries: its correlation id (a new one when it has
 * none, so the chain that starts here has one) and its valid traceparent/tracestate.
 */
export function contextFromHeaders(headers: Readonly<Record<string, string | string[] | undefined>>, fallbackCorrelationId?: () => string): EventContext {
  const correlation = headerValue(headers, ContextHeaders.correlationId);
  const traceparent = headerValue(headers, ContextHeaders.traceparent);
  const valid = traceIdOf(traceparent) ? traceparent : undefined;
  const tracestate = valid ? headerValue(headers, ContextHeaders.tracestate) : undefined;
  return {
    correlationId: correlation !== undefined && CORRELATION_ID.test(correlation) ? correlation : (fallbackCorrelationId ?? randomUUID)(),
    ...(valid && { traceparent: valid }),
    ...(tracestate && { tracestate }),
  };
}

/**
 * The context of a received message, read from its headers only when first asked for:
 * most handlers never publish nor read it, and header conversion plus a new UUID per
 * message showed up in the dispatch profile (bench/).
 */
export class MessageEventContext implements EventContext {
  #parsed: EventContext | undefined;

  constructor(private readonly message: { readonly headers: Readonly<Record<string, string>>; readonly source?: { readonly stream: string; readonly seq: number } }) {}

  get correlationId(): string {
    return this.#context().correlationId;
  }
  get traceparent(): string | undefined {
    return this.#context().traceparent;
  }
  get tracestate(): string | undefined {
    return this.#context().tracestate;
  }

  #context(): EventContext {
    // A stored message without a correlation id gets one derived from where it is stored, so its
    // redeliveries (and their logs) share it; a core message gets a new one.
    const { source } = this.message;
    return (this.#parsed ??= contextFromHeaders(this.message.headers, source && (() => `${source.stream}:${source.seq}`)));
  }
}

/**
 * The headers a publish made now should carry: the caller's own, plus the correlation id
 * and the trace context of the current event context. When an OpenTelemetry span is active
 * (an SDK is installed), its context is the traceparent, so the next hop is its child.
 * Headers the caller set explicitly win. Returns `headers` itself when there is nothing to add.
 */
export function outgoingHeaders(headers: MessageHeaders | undefined): MessageHeaders | undefined {
  const context = storage.getStore();
  const span = activeSpanContext();
  if (!context && !span) return headers;
  const result: Record<string, string> = {};
  if (context) result[ContextHeaders.correlationId] = context.correlationId;
  if (span) {
    result[ContextHeaders.traceparent] = `00-${span.traceId}-${span.spanId}-0${span.traceFlags & 1}`;
    const state = span.traceState?.serialize();
    if (state) result[ContextHeaders.tracestate] = state;
  } else if (context?.traceparent) {
    result[ContextHeaders.traceparent] = context.traceparent;
    if (context.tracestate) result[ContextHeaders.tracestate] = context.tracestate;
  }
  return headers ? { ...result, ...headers } : result;
}

function activeSpanContext(): SpanContext | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** Exact name first (what we write), then any casing (HTTP headers arrive lower-cased; other clients vary). */
function headerValue(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  let value = headers[name] ?? headers[name.toLowerCase()];
  if (value === undefined) {
    const lower = name.toLowerCase();
    for (const key in headers) {
      if (key.toLowerCase() === lower) {
        value = headers[key];
        break;
      }
    }
  }
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === "" ? undefined : text.trim();
}
