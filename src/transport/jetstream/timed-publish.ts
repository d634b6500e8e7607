import { JetStreamApiError, type JetStreamClient, type JetStreamManager, type PubAck, type ScheduleOptions, type StreamConfig } from "@nats-io/jetstream";
import { nuid } from "@nats-io/transport-node";
import type { StreamOptions } from "../../bus/options.js";
import { StreamFeatureError } from "../../errors.js";
import { subjectCovers } from "../../subject.js";
import { toNatsHeaders } from "../nats-core.js";
import { requireServerFeature } from "../server-capabilities.js";
import { allowingStream, DELAYED_MSG_ID_HEADER, isDelayed, publishOptionFor, ttlHeaderValue, type StreamFlag } from "../stream-features.js";
import type { SendOptions } from "../transport.js";
import { streamCovering } from "./provisioning.js";
import { SCHEDULE_SUBJECT_PREFIX } from "./schedule-subjects.js";

/**
 * Delayed publish and per-message TTL on JetStream.
 *
 * A delayed message is a schedule (ADR-51, nats-server 2.12): it is published to a subject of
 * its own under `_EB_SCHEDULE.<stream>.` (the server keeps one schedule per subject) with
 * `Nats-Schedule: @at <time>` and `Nats-Schedule-Target: <subject>`; the stream stores it
 * durably and, when it is due, stores a copy on the target subject (with the headers it was
 * published with, minus `Nats-Msg-Id`) and removes the schedule. Listeners read that copy like
 * any other message. A TTL (nats-server 2.11) is the `Nats-TTL` header; on a delayed message it
 * goes into `Nats-Schedule-TTL`, so the copy gets it and the schedule itself does not expire.
 */

/** How one publish with delayMs/at/ttlMs goes to JetStream. */
export interface TimedPublish {
  /** The subject to publish to (the schedule's own subject for a delayed message). */
  readonly subject: string;
  readonly schedule?: ScheduleOptions;
  readonly ttl?: string;
  /** The stream that captures the subject (it allows what was asked). */
  readonly stream: StreamOptions;
}

/**
 * Checks that the server and the configured stream allow what `options` asks (else
 * ServerVersionError, EB_ERR_NO_STREAM or StreamFeatureError, before anything is sent) and
 * says how to publish it.
 */
export function timedPublish(subject: string, options: SendOptions, streams: readonly StreamOptions[], serverVersion: string | undefined): TimedPublish {
  const delayed = isDelayed(options);
  if (delayed) requireServerFeature("message schedules", serverVersion, `publish to "${subject}" with ${publishOptionFor("allowSchedules", options)} (message schedules)`);
  if (options.ttlMs !== undefined) requireServerFeature("per-message TTL", serverVersion, `publish to "${subject}" with ttlMs (per-message TTL)`);
  const stream = allowingStream(subject, options, streamCovering(subject, streams), streams);
  const ttl = options.ttlMs === undefined ? undefined : ttlHeaderValue(options.ttlMs);
  if (!delayed) return { subject, ttl, stream };
  const due = options.at ?? new Date(Date.now() + options.delayMs!);
  return {
    subject: `${SCHEDULE_SUBJECT_PREFIX}.${stream.name}.${nuid.next()}`,
    schedule: { specification: due, target: subject, ...(ttl !== undefined && { ttl }) },
    stream,
  };
}

/** nats-server's error codes for "the stream does not allow it": the stream on the server lacks a flag the configuration has. */
const SERVER_REFUSALS: ReadonlyMap<number, StreamFlag> = new Map([
  [10188, "allowSchedules"], // "message schedules is disabled"
  [10166, "allowMessageTtl"], // "per-message TTL is disabled"
]);

/**
 * One attempt of a timed publish, for publishWhileUnavailable. The server drops Nats-Msg-Id from
 * the message a schedule produces (it deduplicated the schedule), so a delayed message also
 * carries its id in Eb-Msg-Id, which the server copies like any other header.
 */
export function timedAttempt(js: JetStreamClient, data: Uint8Array, options: SendOptions, timed: TimedPublish): (msgID: string | undefined, timeout: number) => Promise<PubAck> {
  return (msgID, timeout) => {
    const own = timed.schedule && msgID !== undefined ? { [DELAYED_MSG_ID_HEADER]: msgID } : undefined;
    const headers = options.headers || own ? toNatsHeaders({ ...options.headers, ...own }) : undefined;
    return js.publish(timed.subject, data, { headers, msgID, timeout, schedule: timed.schedule, ttl: timed.ttl });
  };
}

/** The server refused a timed publish because the stream on it lacks the flag: a StreamFeatureError saying to provision. */
export function timedPublishRefusal(err: unknown, subject: string, options: SendOptions, timed: TimedPublish): StreamFeatureError | undefined {
  const flag = err instanceof JetStreamApiError ? SERVER_REFUSALS.get(err.code) : undefined;
  if (!flag) return undefined;
  return new StreamFeatureError({ subject, stream: timed.stream.name, streamOption: flag, publishOption: publishOptionFor(flag, options), onServer: true, cause: err });
}

/**
 * Before the first timed publish to a stream: does the stream on the server allow it? A stream
 * created before the flag was configured keeps lacking it until provisioning runs (connect only
 * creates missing streams), and a schedule to a subject the server's stream does not capture
 * would only get "no responders". Each flag seen on a stream is remembered for the transport's
 * life, so this costs one stream info per stream and flag; when the stream cannot be asked
 * (an election), the publish goes on and reports what it meets.
 */
export class ServerStreamFlags {
  readonly #seen = new Set<string>();

  async require(jsm: JetStreamManager, subject: string, options: SendOptions, timed: TimedPublish): Promise<void> {
    const stream = timed.stream.name;
    const needed: StreamFlag[] = [];
    if (timed.schedule && !this.#seen.has(`${stream}/allowSchedules`)) needed.push("allowSchedules");
    if (options.ttlMs !== undefined && !this.#seen.has(`${stream}/allowMessageTtl`)) needed.push("allowMessageTtl");
    if (needed.length === 0) return;
    let config: StreamConfig;
    try {
      config = (await jsm.streams.info(stream)).config;
    } catch {
      return;
    }
    for (const flag of needed) {
      const allowed = flag === "allowMessageTtl" ? config.allow_msg_ttl === true : config.allow_msg_schedules === true && (config.subjects ?? []).some((pattern) => subjectCovers(pattern, timed.subject));
      if (!allowed) throw new StreamFeatureError({ subject, stream, streamOption: flag, publishOption: publishOptionFor(flag, options), onServer: true });
      this.#seen.add(`${stream}/${flag}`);
    }
  }
}
