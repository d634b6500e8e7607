import type { StreamOptions } from "../bus/options.js";
import { StreamFeatureError } from "../errors.js";
import { noStreamError } from "./jetstream/provisioning.js";
import type { SendOptions } from "./transport.js";

/**
 * What a stream must allow before a publish may hold (delayMs/at) or expire (ttlMs) a message
 * in it: the same rule on JetStream and on the testing kit's durable memory store.
 */
export type StreamFlag = "allowSchedules" | "allowMessageTtl";

/**
 * A delayed message reaches listeners without `Nats-Msg-Id` (JetStream used it to deduplicate
 * the schedule and does not copy it to the message it produces), so its id travels here too.
 */
export const DELAYED_MSG_ID_HEADER = "Eb-Msg-Id";

export function isDelayed(options: SendOptions): boolean {
  return options.delayMs !== undefined || options.at !== undefined;
}

/** The Nats-TTL value for a TTL in milliseconds (the bus allows whole seconds only: the server keeps seconds). */
export function ttlHeaderValue(ttlMs: number): string {
  return `${ttlMs / 1000}s`;
}

/** The publish option that asked for what `flag` allows (for error messages). */
export function publishOptionFor(flag: StreamFlag, options: SendOptions): "delayMs" | "at" | "ttlMs" {
  return flag === "allowMessageTtl" ? "ttlMs" : options.at ? "at" : "delayMs";
}

/**
 * The stream that captures `subject`, when it allows what `options` asks; else
 * EB_ERR_NO_STREAM (no stream captures it) or StreamFeatureError naming the stream and the
 * stream option to set.
 */
export function allowingStream(subject: string, options: SendOptions, stream: StreamOptions | undefined, streams: readonly StreamOptions[]): StreamOptions {
  if (!stream) throw noStreamError(subject, streams, "publish");
  const missing = (flag: StreamFlag) => new StreamFeatureError({ subject, stream: stream.name, streamOption: flag, publishOption: publishOptionFor(flag, options), onServer: false });
  if (isDelayed(options) && !stream.allowSchedules) throw missing("allowSchedules");
  if (options.ttlMs !== undefined && !stream.allowMessageTtl) throw missing("allowMessageTtl");
  return stream;
}
