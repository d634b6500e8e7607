import { EventBus, type PublishOptions } from "../bus/event-bus.js";
import { ErrorCodes, EventBusError, describeError } from "../errors.js";
import { createLogger } from "../logger.js";
import { connectOptionsFrom, type ConnectionFlags } from "./connection-flags.js";
import { durationMs } from "./durations.js";

function parsePayload(json: string | undefined): unknown {
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new EventBusError(ErrorCodes.ENCODE, `the payload argument is not valid JSON (${describeError(err)}); quote it for the shell, e.g. '{"id":1}'`);
  }
}

/** Runs one publish or request on a short-lived bus that is drained afterwards, so nothing is left unsent. */
async function withBus<T>(flags: ConnectionFlags, use: (bus: EventBus) => Promise<T>): Promise<T> {
  const bus = new EventBus();
  await bus.connect({ ...connectOptionsFrom(flags), logger: createLogger("warn", { destination: 2 }) });
  try {
    return await use(bus);
  } finally {
    await bus.drain();
  }
}

export interface PublishFlags extends ConnectionFlags {
  delay?: string;
  at?: string;
  ttl?: string;
}

/** `nats-events publish`; `--delay`/`--at` and `--ttl` become the publish options delayMs/at and ttlMs (checked by the bus). */
export async function publishCommand(subject: string, json: string | undefined, flags: PublishFlags): Promise<void> {
  const data = parsePayload(json);
  const options = {
    ...(flags.delay !== undefined && { delayMs: durationFlag("--delay", flags.delay) }),
    ...(flags.at !== undefined && { at: timeFlag(flags.at) }),
    ...(flags.ttl !== undefined && { ttlMs: durationFlag("--ttl", flags.ttl) }),
  } as PublishOptions;
  await withBus(flags, (bus) => bus.publish(subject, data, options));
  const due = options.at ?? (options.delayMs === undefined ? undefined : new Date(Date.now() + options.delayMs));
  process.stdout.write(`published to ${subject}${due ? `, for delivery from ${due.toISOString()}` : ""}\n`);
}

function durationFlag(flag: string, text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new EventBusError(ErrorCodes.CONFIG, `${flag} "${text}" is not a duration (90s, 15m, 2h, 1d)`);
  return ms;
}

function timeFlag(text: string): Date {
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new EventBusError(ErrorCodes.CONFIG, `--at "${text}" is not an ISO 8601 time (2026-12-24T18:00:00Z)`);
  return at;
}

export async function requestCommand(subject: string, json: string | undefined, flags: ConnectionFlags & { timeout: string }): Promise<void> {
  const data = parsePayload(json);
  const timeout = Number(flags.timeout);
  if (!Number.isInteger(timeout) || timeout < 1) {
    throw new EventBusError(ErrorCodes.CONFIG, `--timeout must be a whole number of milliseconds, got "${flags.timeout}"`);
  }
  const reply = await withBus(flags, (bus) => bus.request(subject, data, { timeout }));
  process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
}
