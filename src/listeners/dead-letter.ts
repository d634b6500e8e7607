import { describeError } from "../errors.js";
import type { Delivery, Transport } from "../transport/transport.js";

/**
 * handler-error: the handler threw on a transport that cannot redeliver (core NATS);
 * max-deliveries: it threw on the last allowed delivery; non-retryable: it threw
 * NonRetryableError; undecodable: the payload could not be decoded, or its Content-Type
 * has no codec here (poison); invalid: it broke its contract's schema (poison).
 */
export type FailureReason = "handler-error" | "max-deliveries" | "non-retryable" | "undecodable" | "invalid";

/** Headers added to a dead letter, next to the original message's own headers. */
export const DeadLetterHeaders = {
  reason: "Eb-Dead-Letter-Reason",
  error: "Eb-Error",
  errorCode: "Eb-Error-Code",
  listener: "Eb-Listener",
  originalSubject: "Eb-Original-Subject",
  deliveryCount: "Eb-Delivery-Count",
  originalStream: "Eb-Original-Stream",
  originalSequence: "Eb-Original-Seq",
  originalMsgId: "Eb-Original-Msg-Id",
} as const;

/**
 * Copies a message that could not be handled to `<prefix>.<subject>`, with the
 * original bytes and headers plus why it failed, so it can be inspected and
 * re-published. Messages already on the dead-letter prefix are never copied again
 * (a `>` listener must not loop on its own dead letters). Resolves `stored: true` once
 * the transport accepted the copy (on JetStream: stored), else `stored: false` and why.
 */
export async function sendToDeadLetter(
  transport: Transport,
  prefix: string,
  delivery: Delivery,
  failure: { reason: FailureReason; error: unknown; listener: string },
): Promise<{ stored: boolean; skipped?: boolean; error?: unknown }> {
  if (delivery.subject === prefix || delivery.subject.startsWith(`${prefix}.`)) return { stored: true, skipped: true };
  const code = (failure.error as { code?: unknown } | null)?.code;
  // The original dedupe id must not dedupe dead letters against each other; it is kept under its own name.
  const { "Nats-Msg-Id": msgId, ...original } = delivery.headers;
  const headers = {
    ...original,
    ...(msgId && { [DeadLetterHeaders.originalMsgId]: msgId }),
    [DeadLetterHeaders.reason]: failure.reason,
    [DeadLetterHeaders.error]: describeError(failure.error).slice(0, 1024),
    [DeadLetterHeaders.errorCode]: typeof code === "string" ? code : "UNKNOWN",
    [DeadLetterHeaders.listener]: failure.listener,
    [DeadLetterHeaders.originalSubject]: delivery.subject,
    [DeadLetterHeaders.deliveryCount]: String(delivery.deliveryCount),
    ...(delivery.source && {
      [DeadLetterHeaders.originalStream]: delivery.source.stream,
      [DeadLetterHeaders.originalSequence]: String(delivery.source.seq),
    }),
  };
  try {
    await transport.publish(`${prefix}.${delivery.subject}`, delivery.data, { headers });
    return { stored: true };
  } catch (error) {
    return { stored: false, error };
  }
}
