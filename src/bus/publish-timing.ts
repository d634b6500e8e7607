import { PublishOptionError } from "../errors.js";
import type { Transport } from "../transport/transport.js";

/** The publish options that hold a message back or expire it. */
export interface PublishTiming {
  readonly delayMs?: number;
  readonly at?: Date;
  readonly ttlMs?: number;
}

/**
 * Checks delayMs / at / ttlMs before anything is encoded or sent: one PublishOptionError naming
 * the option, the subject and what is wrong (a bad value, both delayMs and at, or a transport
 * that cannot honour it). Whether the stream and the server allow it is the transport's check.
 */
export function checkPublishTiming(subject: string, options: PublishTiming, transport: Transport): void {
  const { delayMs, at, ttlMs } = options;
  if (delayMs !== undefined && at !== undefined) {
    throw new PublishOptionError(subject, "delayMs", `was given together with option "at": give one of them (delayMs: milliseconds from now, or at: a Date)`);
  }
  if (delayMs !== undefined && !(Number.isSafeInteger(delayMs) && delayMs >= 0 && !Number.isNaN(new Date(Date.now() + delayMs).getTime()))) {
    throw new PublishOptionError(subject, "delayMs", `must be a whole number of milliseconds >= 0 (and within the range of a Date), got ${describe(delayMs)}`);
  }
  if (at !== undefined && !(at instanceof Date && !Number.isNaN(at.getTime()))) {
    throw new PublishOptionError(subject, "at", `must be a valid Date, got ${at instanceof Date ? "an Invalid Date" : describe(at)}`);
  }
  if (ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && ttlMs >= 1000 && ttlMs % 1000 === 0)) {
    throw new PublishOptionError(subject, "ttlMs", `must be whole seconds in milliseconds, 1000 or more (nats-server keeps a message's TTL in whole seconds), got ${describe(ttlMs)}`);
  }
  const { name, features } = transport;
  const cannot = features.durable ? `transport "${name}" cannot hold or expire single messages` : `transport "${name}" stores nothing`;
  if ((delayMs !== undefined || at !== undefined) && !features.delayedDelivery) {
    throw new PublishOptionError(subject, delayMs !== undefined ? "delayMs" : "at", `needs a transport that stores the message until it is due, and ${cannot}; use transport "jetstream" (nats-server 2.12 or later, stream option allowSchedules) or, in tests, createTestBus() from express-nats-events/testing`);
  }
  if (ttlMs !== undefined && !features.messageTtl) {
    throw new PublishOptionError(subject, "ttlMs", `needs a transport that stores messages, and ${cannot}; use transport "jetstream" (nats-server 2.11 or later, stream option allowMessageTtl) or, in tests, createTestBus() from express-nats-events/testing`);
  }
}

function describe(value: unknown): string {
  return typeof value === "number" || typeof value === "bigint" ? String(value) : JSON.stringify(value) ?? typeof value;
}
