import type { BusObserver, DeliveryOutcome, ListenerInfo } from "../observability/observer.js";
import type { Delivery, MessageHeaders } from "../transport/transport.js";

/** Turns the bytes of a message on `subject` into a value, as a listener would (contract dates revived). */
export type Decode = (subject: string, raw: Uint8Array, headers: MessageHeaders) => unknown;

/** One message the application published through the test bus. */
export interface PublishedMessage {
  readonly subject: string;
  /** The payload decoded by the bus's codec (and the subject's contract, if any). */
  readonly data: unknown;
  readonly raw: Uint8Array;
  /** The headers sent, correlation id and traceparent included. */
  readonly headers: MessageHeaders;
  readonly msgId: string | undefined;
  /** Stored once already within the stream's dedupe window: this publish stored nothing. */
  readonly duplicate: boolean;
  readonly stream: string | undefined;
  readonly seq: number | undefined;
}

/**
 * What became of one delivery of one message to one listener:
 * - handled: the handler resolved, the message was acknowledged (or the request answered);
 * - retry: the handler threw, the message comes back after `retryInMs` (on the test clock);
 * - dead-lettered: no more retries (`reason` says why), it was copied to the dead letters and terminated;
 * - error-reply: a request's handler threw; the requester got the error;
 * - running: the handler has not finished yet.
 */
export type DeliveryOutcomeKind = "running" | "handled" | "retry" | "dead-lettered" | "error-reply" | "ack-failed";

export interface DeliveryRecord {
  /** "Class.method" */
  readonly listener: string;
  readonly subject: string;
  /** 1 for the first delivery of the message, 2 for its first retry... */
  readonly deliveryCount: number;
  /** The message's sequence in its stream (durable listeners). */
  readonly seq: number | undefined;
  readonly data: unknown;
  readonly headers: MessageHeaders;
  readonly outcome: DeliveryOutcomeKind;
  readonly retryInMs?: number;
  /** Why it failed: handler-error, undecodable, invalid; once dead-lettered: max-deliveries, non-retryable, undecodable, invalid. */
  readonly reason?: string;
  /** What the handler threw (or why decoding failed). */
  readonly error?: unknown;
}

type MutableRecord = { -readonly [K in keyof DeliveryRecord]: DeliveryRecord[K] };

/** Payloads are decoded only when a test reads them, so undecodable bytes do not break recording. */
function withLazyData<T extends object>(target: T, decode: () => unknown): T & { readonly data: unknown } {
  let decoded: { value: unknown } | undefined;
  return Object.defineProperty(target, "data", { enumerable: true, get: () => (decoded ??= { value: decode() }).value }) as T & { readonly data: unknown };
}

export function publishedMessage(record: Omit<PublishedMessage, "data">, decode: Decode): PublishedMessage {
  return withLazyData({ ...record }, () => decode(record.subject, record.raw, record.headers));
}

/** An observer that keeps every delivery and its outcome, in the order handlers started (or payloads were refused). */
export class DeliveryRecorder implements BusObserver {
  readonly records: DeliveryRecord[] = [];
  readonly #byDelivery = new WeakMap<Delivery, MutableRecord>();

  constructor(private readonly decode: Decode) {}

  /** Records the delivery when its handler starts, so a handler still running shows as "running". */
  handlerStarted(listener: ListenerInfo, delivery: Delivery): void {
    this.#recordOf(listener, delivery);
  }

  outcome(listener: ListenerInfo, delivery: Delivery, outcome: DeliveryOutcome): void {
    const record = this.#recordOf(listener, delivery);
    switch (outcome.kind) {
      case "handled":
        record.outcome = "handled";
        break;
      case "ack-failed":
        record.outcome = "ack-failed";
        record.error = outcome.error;
        break;
      case "failed":
        // "dead-letter" becomes "dead-lettered" with the next report, once the copy was stored.
        record.outcome = outcome.next === "retry" ? "retry" : outcome.next === "error-reply" ? "error-reply" : "running";
        record.reason = outcome.reason;
        record.error = outcome.error;
        if (outcome.retryInMs !== undefined) record.retryInMs = outcome.retryInMs;
        break;
      case "dead-lettered":
        // Not stored: a durable transport delivers the message again instead of dropping it.
        record.outcome = outcome.stored ? "dead-lettered" : "retry";
        record.reason = outcome.reason;
        break;
    }
  }

  #recordOf(listener: ListenerInfo, delivery: Delivery): MutableRecord {
    let record = this.#byDelivery.get(delivery);
    if (!record) {
      const base = {
        listener: listener.id,
        subject: delivery.subject,
        deliveryCount: delivery.deliveryCount,
        seq: delivery.source?.seq,
        headers: delivery.headers,
        outcome: "running" as DeliveryOutcomeKind,
      };
      record = withLazyData(base, () => this.decode(delivery.subject, delivery.data, delivery.headers)) as MutableRecord;
      this.#byDelivery.set(delivery, record);
      this.records.push(record);
    }
    return record;
  }
}
