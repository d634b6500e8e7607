import type { FailureReason } from "../listeners/dead-letter.js";
import type { BusStatus, ConsumerEvent, Delivery, ExclusiveRole } from "../transport/transport.js";

/**
 * The observability seam. The EventBus and the ListenerRunner tell observers what
 * happened; logs, Prometheus metrics and OpenTelemetry traces are three implementations
 * (log-observer.ts, metrics-observer.ts, tracing-observer.ts), and users may add their own
 * (`bus.connect({ observers: [...] })`). Every method is optional.
 *
 * Observers see outcomes and cannot change them: what they throw is swallowed, what the
 * `wrap*` methods return is ignored (the bus uses the operation's own result), and an
 * operation a wrapper forgets to run still runs.
 */
export interface BusObserver {
  /** Connection and listener lifecycle: connected, status changes, subscribed, draining, closed... */
  lifecycle?(event: LifecycleEvent): void;
  /** A publish was accepted by the transport (`error` undefined) or refused. */
  published?(subject: string, error: unknown): void;
  /** What became of one delivery: handled, failed (and what happens next), dead-lettered. */
  outcome?(listener: ListenerInfo, delivery: Delivery, outcome: DeliveryOutcome): void;
  /**
   * true: this observer only counts handled messages, and reads `ListenerInfo.handled` when it
   * reports, so outcome() is not called for each "handled" one (it still is for every other
   * kind). One call per observer per message was most of what observing cost a listener (bench/).
   * It may be a getter whose answer changes (the log observer: true while debug lines are off);
   * such an observer calls back through onCountsHandledChange whenever it does.
   */
  readonly countsHandled?: boolean;
  /** Registers `changed`, to be called whenever `countsHandled` changes its answer; returns how to unregister. */
  onCountsHandledChange?(changed: () => void): () => void;
  /**
   * Runs `run` (the publish) inside the observer's own context, e.g. an OpenTelemetry span,
   * so the trace context copied into the message's headers is that span's. Call `run`
   * synchronously, exactly once, and return (or await) its promise.
   */
  wrapPublish?<T>(subject: string, run: () => Promise<T>): Promise<T>;
  /**
   * The same around one handler call (the handler, not decoding or acknowledging). For an
   * observer that only needs to know when handlers start and end, handlerStarted and
   * handlerFinished are cheaper: with no wrapper active, a synchronous handler is called
   * without a single promise.
   */
  wrapHandler?<T>(listener: ListenerInfo, delivery: Delivery, run: () => Promise<T>): Promise<T>;
  /** A handler call starts (its payload was decoded and is valid). */
  handlerStarted?(listener: ListenerInfo, delivery: Delivery): void;
  /** That call ended after `seconds`: it returned or resolved (`failed` false), or threw or rejected. */
  handlerFinished?(listener: ListenerInfo, delivery: Delivery, seconds: number, failed: boolean): void;
  /**
   * For observers whose wrappers are active only sometimes (tracing: only with an SDK):
   * when it returns false, the set leaves this observer's wrappers out of the call
   * altogether instead of nesting one that would only call through.
   */
  wrapping?(): boolean;
}

/** One subscribed @Listen handler; the same object for every delivery, so observers can cache per listener. */
export interface ListenerInfo {
  /** "Class.method" */
  readonly id: string;
  /** The @Listen subject pattern (bounded: use it as a metric label, never the concrete subject). */
  readonly subject: string;
  readonly queueGroup: string | undefined;
  /** Handler calls of this listener running now, kept by the runner: read it when reporting (a gauge at scrape time). */
  readonly running: number;
  /** Messages of this listener handled in this process (the "handled" outcome), kept by the runner: see BusObserver.countsHandled. */
  readonly handled: number;
}

export type LifecycleEvent =
  | { readonly type: "connected"; readonly transport: string; readonly servers: string | undefined; readonly serverVersion?: string | undefined }
  | { readonly type: "status"; readonly transport: string; readonly status: BusStatus; readonly previous: BusStatus; readonly reconnects: number }
  | { readonly type: "subscribed"; readonly listener: ListenerInfo }
  | { readonly type: "subscription-ended"; readonly listener: ListenerInfo; readonly error: Error }
  /** JetStream: a listener's consumer stopped delivering ("stalled") or delivers again ("recovered", counted). */
  | { readonly type: "consumer-stalled" | "consumer-recovered"; readonly listener: ListenerInfo; readonly event: ConsumerEvent }
  /** JetStream, exclusive listeners: this process became its group's active one, or stands by again. */
  | { readonly type: "exclusive-role"; readonly listener: ListenerInfo; readonly role: ExclusiveRole }
  | { readonly type: "draining"; readonly transport: string }
  | { readonly type: "drained"; readonly transport: string }
  | { readonly type: "closed"; readonly transport: string };

/**
 * - handled: the handler resolved and the message was acknowledged (or replied to);
 * - failed: the handler threw or the payload could not be decoded; `next` says what
 *   happens now: "retry" (redelivered after `retryInMs`), "dead-letter", or "error-reply"
 *   (a request whose requester gets the error, nothing kept);
 * - dead-lettered: the copy to the dead-letter subject was accepted (`stored`) or not
 *   (then a durable transport redelivers the message instead of dropping it);
 * - ack-failed: handled, but the acknowledgement was not confirmed (it may come again).
 */
export type DeliveryOutcome =
  | { readonly kind: "handled" }
  | {
      readonly kind: "failed";
      /** undecodable: the codec failed or the Content-Type has no codec; invalid: the contract's schema rejected it. */
      readonly reason: "handler-error" | "undecodable" | "invalid";
      readonly error: unknown;
      /** The error's stable code (EB_ERR_*, or the `code` the handler's error carried), else "UNKNOWN". */
      readonly code: string;
      readonly next: "retry" | "dead-letter" | "error-reply";
      readonly retryInMs?: number;
      readonly maxDeliver?: number;
    }
  | { readonly kind: "dead-lettered"; readonly reason: FailureReason; readonly stored: boolean; readonly error?: unknown }
  | { readonly kind: "ack-failed"; readonly error: unknown };

/** The one "handled" outcome: no allocation per message on the success path. */
export const HANDLED: DeliveryOutcome = Object.freeze({ kind: "handled" });

/** The stable code of any thrown value: its string `code`, else "UNKNOWN". */
export function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : typeof code === "number" ? String(code) : "UNKNOWN";
}
