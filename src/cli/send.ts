import { EventBus } from "../bus/event-bus.js";
import { ErrorCodes, EventBusError, describeError } from "../errors.js";
import { createLogger } from "../logger.js";
import { connectOptionsFrom, type ConnectionFlags } from "./connection-flags.js";

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

export async function publishCommand(subject: string, json: string | undefined, flags: ConnectionFlags): Promise<void> {
  const data = parsePayload(json);
  await withBus(flags, (bus) => bus.publish(subject, data));
  process.stdout.write(`published to ${subject}\n`);
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
