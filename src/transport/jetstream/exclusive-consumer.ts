import type { ConsumerConfig } from "@nats-io/jetstream";
import { ErrorCodes, EventBusError, describeError } from "../../errors.js";
import { isUnavailable, jetStreamCause } from "./unavailable.js";

const NS_PER_MS = 1_000_000;
const PINNED_CLIENT = "pinned_client";

/**
 * The priority group every exclusive consumer has (there is one consumer per queue group
 * already, so one name serves all); the pulls of its listeners carry it (pinned-pull.ts).
 */
export const EXCLUSIVE_GROUP = "exclusive";

/**
 * An exclusive listener's consumer (ADR-42): the server pins one client (process) of the group
 * and serves only its pulls until it has not pulled for `timeoutMs`, or an unpin. One message
 * unacknowledged at most, so the order holds through retries (a nak'd message comes back
 * before the next one) and through a takeover (the next process starts where the last stopped).
 */
export function exclusiveConfig(timeoutMs: number): Partial<ConsumerConfig> {
  return { max_ack_pending: 1, priority_policy: PINNED_CLIENT, priority_groups: [EXCLUSIVE_GROUP], priority_timeout: timeoutMs * NS_PER_MS };
}

/** Whether the server's consumer is one an exclusive listener reads from. */
export function isExclusiveConsumer(config: Partial<ConsumerConfig>): boolean {
  return config.priority_policy === PINNED_CLIENT;
}

/**
 * What the server cannot do to an existing consumer, said before trying: drop its priority group
 * (nats-server answers "'priority_groups' must have at least one group").
 */
export function refuseExclusiveChange(key: string, existing: Partial<ConsumerConfig>, desired: Partial<ConsumerConfig>): void {
  if (!isExclusiveConsumer(existing) || isExclusiveConsumer(desired)) return;
  throw new EventBusError(
    ErrorCodes.PROVISION,
    `consumer "${key}" is exclusive on the server (priority policy pinned_client) but its listener is not: nats-server cannot turn that off. ` +
      `Put exclusive: true back, or delete the consumer (${removeCommand(key)}; the group then starts again from the first message the stream holds)`,
  );
}

/**
 * An update that made a plain consumer exclusive and that the server refused (nats-server 2.15.1
 * allows it; ADR-42 says earlier ones may not): the way out, with the server's words. Undefined
 * for any other failure, and for an unavailable server (the caller waits for those).
 */
export function exclusiveUpdateError(key: string, existing: Partial<ConsumerConfig>, desired: Partial<ConsumerConfig>, err: unknown): EventBusError | undefined {
  if (isExclusiveConsumer(existing) || !isExclusiveConsumer(desired) || isUnavailable(jetStreamCause(err))) return undefined;
  return new EventBusError(
    ErrorCodes.PROVISION,
    `consumer "${key}" cannot be made exclusive in place: the server said "${describeError(err)}". ` +
      `Delete it (${removeCommand(key)}; the group then starts again from the first message the stream holds) and provision again`,
    { cause: err },
  );
}

function removeCommand(key: string): string {
  const [stream, consumer] = key.split("/");
  return `nats consumer rm ${stream} ${consumer}`;
}
