import type { ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import { ErrorCodes, EventBusError, describeError } from "../../errors.js";
import { requireServerFeature } from "../server-capabilities.js";

/** A durable consumer: the stream it reads and its name. */
export interface PauseTarget {
  readonly stream: string;
  readonly name: string;
}

/** A consumer's pause as the server reports it after a pause or resume. */
export interface PauseState extends PauseTarget {
  readonly paused: boolean;
  /** The ISO time the server resumes it by itself, or "until resumed"; undefined when not paused. */
  readonly pausedUntil: string | undefined;
}

/**
 * JetStream has no "paused forever": a pause always has an end. "Until resumed" is a pause
 * this far ahead (still inside the server's nanosecond durations, which end after 292 years).
 */
const UNTIL_RESUMED_YEARS = 100;
/** A pause ending later than this many years ahead was meant as "until resumed". */
const UNTIL_RESUMED_AFTER_YEARS = 50;

/**
 * Pauses a consumer: the server delivers none of its messages until `until` (or until
 * resumed, without `until`); they stay in the stream, and its listener processes keep
 * running and simply receive nothing. Needs nats-server 2.11 (EB_ERR_SERVER_VERSION before).
 */
export async function pauseConsumer(jsm: JetStreamManager, serverVersion: string | undefined, target: PauseTarget, until?: Date): Promise<PauseState> {
  requireServerFeature("consumer pause", serverVersion);
  const end = until ?? new Date(Date.now() + UNTIL_RESUMED_YEARS * 365.25 * 24 * 3600_000);
  const answer = await admin(target, "pause", () => jsm.consumers.pause(target.stream, target.name, end));
  return { ...target, paused: answer.paused, pausedUntil: answer.paused ? shownEnd(answer.pause_until) : undefined };
}

/** Resumes a paused consumer at once (nothing happens to one that is not paused). */
export async function resumeConsumer(jsm: JetStreamManager, serverVersion: string | undefined, target: PauseTarget): Promise<PauseState> {
  requireServerFeature("consumer pause", serverVersion);
  const answer = await admin(target, "resume", () => jsm.consumers.resume(target.stream, target.name));
  return { ...target, paused: answer.paused, pausedUntil: undefined };
}

/** For `status`: "until resumed", the ISO end of the pause, or undefined when the consumer is not paused. */
export function pausedUntilOf(info: ConsumerInfo): string | undefined {
  if (!info.paused) return undefined;
  return shownEnd(info.config.pause_until) ?? "until resumed";
}

function shownEnd(until: string | undefined): string | undefined {
  const end = until ? Date.parse(until) : Number.NaN;
  if (Number.isNaN(end) || end - Date.now() > UNTIL_RESUMED_AFTER_YEARS * 365.25 * 24 * 3600_000) return "until resumed";
  return new Date(end).toISOString();
}

async function admin<T>(target: PauseTarget, action: "pause" | "resume", call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const missing = /not found/i.test(describeError(err)) || (err as { code?: unknown }).code === 404;
    throw new EventBusError(
      ErrorCodes.PROVISION,
      `cannot ${action} consumer "${target.name}" of stream "${target.stream}": ${describeError(err)}` +
        (missing ? " (it does not exist yet: run nats-events provision, or start the listeners once)" : ""),
      { cause: err },
    );
  }
}
