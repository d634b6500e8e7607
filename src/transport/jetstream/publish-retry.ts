import { JetStreamApiError } from "@nats-io/jetstream";
import { errors as natsErrors, nuid } from "@nats-io/transport-node";
import type { StreamOptions } from "../../bus/options.js";
import { backoffDelayMs } from "../../backoff.js";
import { ErrorCodes, EventBusError, StreamUnavailableError } from "../../errors.js";

/**
 * Publishes that ride out a stream leader election. While a stream elects a new leader
 * (its leader's node died, restarted or stepped down) nobody answers its subjects for a
 * few seconds: a publish gets "no responders" at once, a 503 from the stream, or no PubAck
 * at all when the old leader went away with it. Each of those is retried with the same
 * Nats-Msg-Id until `retryForMs` has passed since the call, so the stream stores the
 * message once however many attempts reached it (within its duplicate window).
 */
export interface PublishRetryPolicy {
  /** The longest a publish call takes, all attempts together; 0: one attempt, no retry. */
  readonly retryForMs: number;
  /** How long one attempt waits for its PubAck (never past the end of retryForMs). */
  readonly attemptTimeoutMs: number;
}

/** What one failed attempt means for the next one. */
type AttemptFailure =
  | { readonly retry: false }
  | { readonly retry: true; readonly mayBeStored: boolean; readonly reason: string };

/** The pause before the next attempt: "no responders" comes back at once, so back off a little (50 ms doubling to 500 ms). */
const RETRY_BACKOFF = { initialDelayMs: 50, maxDelayMs: 500 };

export interface RetriedPublish {
  readonly subject: string;
  /** The caller's msgId; without one, a publish that may be retried gets a generated one. */
  readonly msgId: string | undefined;
  /**
   * The configured stream that captures the subject, if any (looked up only on failure):
   * "no responders" means an election only when there is one; without, it is a missing stream.
   */
  readonly streamOf: () => string | undefined;
}

/**
 * Runs `attempt` (given the msgId to send and the time it may wait for its PubAck) until
 * it resolves, fails for a reason that retrying cannot cure (rethrown as it is), or the
 * policy's time is up (StreamUnavailableError, saying whether an attempt may have stored
 * the message). A duplicate of a generated msgId is this call's own earlier attempt, so
 * the receipt says `duplicate: false`: the message was stored once, by this call.
 */
export async function publishWhileUnavailable<Ack extends { readonly duplicate: boolean }>(
  attempt: (msgId: string | undefined, timeoutMs: number) => Promise<Ack>,
  policy: PublishRetryPolicy,
  publish: RetriedPublish,
): Promise<Ack> {
  if (policy.retryForMs === 0) return attempt(publish.msgId, policy.attemptTimeoutMs);
  // Every attempt must carry the id, the first one too: it may be stored although its PubAck is lost.
  const msgId = publish.msgId ?? nuid.next();
  const started = Date.now();
  let mayBeStored = false;
  for (let attempts = 1; ; attempts++) {
    try {
      const ack = await attempt(msgId, Math.min(policy.attemptTimeoutMs, policy.retryForMs - (Date.now() - started)));
      return publish.msgId === undefined && ack.duplicate ? { ...ack, duplicate: false } : ack;
    } catch (err) {
      const failure = classifyAttemptFailure(err, publish.streamOf);
      if (!failure.retry) throw err;
      mayBeStored ||= failure.mayBeStored;
      const pause = backoffDelayMs(attempts, RETRY_BACKOFF);
      if (Date.now() + pause - started >= policy.retryForMs) {
        const message = unavailableMessage(publish.subject, publish.streamOf(), msgId, Date.now() - started, attempts, failure.reason, mayBeStored);
        throw new StreamUnavailableError(message, { subject: publish.subject, msgId, mayBeStored, attempts, cause: err });
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * The stream is briefly unavailable (retry) or the publish failed for good (do not).
 * A timeout may have stored the message (the PubAck was lost, not the message);
 * "no responders" and a 503 from the stream did not.
 */
function classifyAttemptFailure(err: unknown, streamOf: () => string | undefined): AttemptFailure {
  if (causes(err).some((cause) => cause instanceof natsErrors.TimeoutError)) {
    return { retry: true, mayBeStored: true, reason: "no PubAck in time (the stream leader may have gone away after storing it)" };
  }
  if (causes(err).some((cause) => cause instanceof natsErrors.NoRespondersError) && streamOf() !== undefined) {
    return { retry: true, mayBeStored: false, reason: "no responders: the stream has no leader (an election, or too few of its nodes up) or does not exist on the server" };
  }
  if (err instanceof JetStreamApiError && err.status === 503) {
    return { retry: true, mayBeStored: false, reason: `the stream answered 503: ${err.message}` };
  }
  return { retry: false };
}

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = err; current !== undefined && chain.length < 5; current = (current as { cause?: unknown } | null)?.cause) chain.push(current);
  return chain;
}

function unavailableMessage(subject: string, streamName: string | undefined, msgId: string, elapsedMs: number, attempts: number, reason: string, mayBeStored: boolean): string {
  const stream = streamName ? `stream "${streamName}"` : "the stream";
  return (
    `publish to "${subject}": ${stream} was unavailable for ${elapsedMs} ms (${attempts} attempts; last: ${reason}). ` +
    (mayBeStored
      ? `The message may have been stored (an attempt got no PubAck): publish it again with msgId "${msgId}" within the stream's duplicate window and it is stored once.`
      : `The message was not stored: publish it again once the stream has a leader (nats-events status shows it).`)
  );
}

/**
 * Retries dedupe only while the first attempt's Nats-Msg-Id is still in the stream's
 * duplicate window: a window shorter than the retry time could store a message twice.
 */
export function checkRetryFitsDuplicateWindows(retryForMs: number, streams: readonly StreamOptions[]): void {
  const short = streams.find((stream) => stream.duplicateWindowMs !== undefined && stream.duplicateWindowMs < retryForMs);
  if (!short) return;
  throw new EventBusError(
    ErrorCodes.CONFIG,
    `option "publishRetryMs" (${retryForMs} ms) is longer than the duplicate window of stream "${short.name}" (duplicateWindowMs ${short.duplicateWindowMs}): ` +
      `a retried publish could then be stored twice. Lengthen that stream's duplicateWindowMs or shorten publishRetryMs.`,
  );
}
