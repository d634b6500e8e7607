import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import type { EventBusOptions, StreamOptions } from "../../bus/options.js";
import { ErrorCodes, EventBusError, describeError } from "../../errors.js";
import { subjectCovers } from "../../subject.js";
import type { ProvisionChange, ProvisionProgress, SubscriptionSpec } from "../transport.js";

const MS = 1_000_000; // nanoseconds per millisecond: JetStream durations are in nanoseconds

/** Where one durable listener reads from. */
export interface ConsumerTarget {
  readonly stream: string;
  readonly name: string;
  readonly config: Partial<ConsumerConfig>;
}

/** The streams the bus needs: the configured ones plus the dead-letter stream. */
export function desiredStreams(options: EventBusOptions): StreamOptions[] {
  const deadLetters: StreamOptions = {
    name: options.deadLetterStream,
    subjects: [`${options.deadLetterPrefix}.>`],
    storage: "file",
    retention: "limits",
  };
  return [...options.streams, deadLetters];
}

export function streamCovering(subject: string, streams: readonly StreamOptions[]): StreamOptions | undefined {
  return streams.find((stream) => stream.subjects.some((pattern) => subjectCovers(pattern, subject)));
}

/** The error for a subject no stream captures: names the subject and every stream checked. */
export function noStreamError(subject: string, streams: readonly StreamOptions[], where: string): EventBusError {
  const checked = streams.map((stream) => `${stream.name} [${stream.subjects.join(", ")}]`).join("; ") || "none configured";
  return new EventBusError(
    ErrorCodes.NO_STREAM,
    `no JetStream stream captures "${subject}" (${where}); streams checked: ${checked}. ` +
      `Add the subject to a stream in the "streams" option` +
      (where.startsWith("listener") ? `, or use @Listen(..., { durable: false }) for a request-reply responder.` : "."),
  );
}

/**
 * Durable consumer name: one per (stream, queue group, subject filter), so every
 * process of a group shares it; without a group, one per listener (Class.method).
 * Names are identities: renaming a group leaves the old consumer behind.
 */
export function consumerName(spec: SubscriptionSpec): string {
  const owner = spec.queueGroup ?? spec.listenerId;
  const filter = spec.subject.replaceAll("*", "STAR").replaceAll(">", "ALL");
  return `${owner}__${filter}`.replace(/[^A-Za-z0-9_-]/g, "_");
}

export function consumerTarget(spec: SubscriptionSpec, streams: readonly StreamOptions[], options: EventBusOptions): ConsumerTarget {
  const stream = streamCovering(spec.subject, streams);
  if (!stream) throw noStreamError(spec.subject, streams, `listener ${spec.listenerId}`);
  return {
    stream: stream.name,
    name: consumerName(spec),
    config: {
      durable_name: consumerName(spec),
      ack_policy: AckPolicy.Explicit,
      // A new group starts with everything the stream still holds.
      deliver_policy: DeliverPolicy.All,
      filter_subject: spec.subject,
      ack_wait: (spec.ackWaitMs ?? options.ackWaitMs) * MS,
      // The runner counts deliveries and dead-letters at retry.maxDeliver; a server-side
      // limit would drop a message silently when a process dies during its last attempt.
      max_deliver: -1,
      // Each process bounds what it pulls by its listener's concurrency.
      max_ack_pending: -1,
    },
  };
}

function toStreamConfig(stream: StreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: stream.name,
    subjects: stream.subjects,
    storage: stream.storage === "memory" ? StorageType.Memory : StorageType.File,
    retention:
      stream.retention === "interest" ? RetentionPolicy.Interest : stream.retention === "workqueue" ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    max_age: (stream.maxAgeMs ?? 0) * MS,
    max_bytes: stream.maxBytes ?? -1,
    max_msgs: stream.maxMsgs ?? -1,
    num_replicas: stream.replicas ?? 1,
    duplicate_window: (stream.duplicateWindowMs ?? 120_000) * MS,
  };
}

/** The fields we manage, compared with what the server has. */
function differences(desired: Record<string, unknown>, actual: Record<string, unknown>): string[] {
  return Object.entries(desired)
    .filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(actual[key]))
    .map(([key, value]) => `${key}: ${JSON.stringify(actual[key])} -> ${JSON.stringify(value)}`);
}

async function findOrUndefined<T>(lookup: () => Promise<T>): Promise<T | undefined> {
  try {
    return await lookup();
  } catch (err) {
    if ((err as { code?: unknown }).code === 404 || /not found/i.test(describeError(err))) return undefined;
    throw err;
  }
}

/**
 * Makes streams and consumers match the configuration (create or update, never
 * delete), or with dryRun only reports what would change. Idempotent.
 */
export async function provision(
  jsm: JetStreamManager,
  streams: readonly StreamOptions[],
  consumers: readonly ConsumerTarget[],
  { dryRun, streamsOnly = false, onProgress }: { dryRun: boolean; streamsOnly?: boolean; onProgress?: ProvisionProgress },
): Promise<ProvisionChange[]> {
  const total = streams.length + new Set(consumers.map((target) => `${target.stream}/${target.name}`)).size;
  const changes: ProvisionChange[] = [];
  // Reports each finished step: `changes` only grows, so its length is the number done.
  const report = () => {
    const last = changes.at(-1);
    if (onProgress && last) onProgress(changes.length, total, last);
  };
  for (const stream of streams) {
    const desired = toStreamConfig(stream);
    try {
      const existing = await findOrUndefined(() => jsm.streams.info(stream.name));
      if (!existing) {
        changes.push({ kind: "stream", action: "create", name: stream.name, detail: `subjects ${stream.subjects.join(", ")}` });
        if (!dryRun) await jsm.streams.add(desired);
        report();
        continue;
      }
      if (streamsOnly) continue;
      const diff = differences(desired, existing.config as unknown as Record<string, unknown>);
      changes.push({ kind: "stream", action: diff.length ? "update" : "unchanged", name: stream.name, detail: diff.join("; ") });
      if (diff.length && !dryRun) await jsm.streams.update(stream.name, desired);
      report();
    } catch (err) {
      throw new EventBusError(ErrorCodes.PROVISION, `cannot provision stream "${stream.name}": ${describeError(err)}`, { cause: err });
    }
  }
  const seen = new Set<string>();
  for (const target of consumers) {
    const key = `${target.stream}/${target.name}`;
    if (seen.has(key)) continue; // listeners of one group on one subject share a consumer
    seen.add(key);
    try {
      const existing = dryRun && changes.some((c) => c.kind === "stream" && c.name === target.stream && c.action === "create")
        ? undefined
        : await findOrUndefined(() => jsm.consumers.info(target.stream, target.name));
      if (!existing) {
        changes.push({ kind: "consumer", action: "create", name: key, detail: `filter ${target.config.filter_subject}` });
        if (!dryRun) await jsm.consumers.add(target.stream, target.config);
        report();
        continue;
      }
      const { durable_name: _name, deliver_policy: _policy, ...editable } = target.config;
      const diff = differences(editable, existing.config as unknown as Record<string, unknown>);
      changes.push({ kind: "consumer", action: diff.length ? "update" : "unchanged", name: key, detail: diff.join("; ") });
      if (diff.length && !dryRun) await jsm.consumers.update(target.stream, target.name, editable);
      report();
    } catch (err) {
      throw new EventBusError(ErrorCodes.PROVISION, `cannot provision consumer "${key}": ${describeError(err)}`, { cause: err });
    }
  }
  return changes;
}
