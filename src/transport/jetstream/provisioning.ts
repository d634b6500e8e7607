import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamManager } from "@nats-io/jetstream";
import type { EventBusOptions, StreamOptions } from "../../bus/options.js";
import { ErrorCodes, EventBusError, describeError } from "../../errors.js";
import { subjectCovers } from "../../subject.js";
import type { ProvisionChange, ProvisionProgress, SubscriptionSpec } from "../transport.js";
import { requireServerFeature } from "../server-capabilities.js";
import { withScheduleSubjects } from "./schedule-subjects.js";
import { exclusiveConfig, exclusiveUpdateError, refuseExclusiveChange } from "./exclusive-consumer.js";
import { newStreamConfig, planStreamUpdate, type DesiredStream } from "./stream-plan.js";
import { isUnavailable, jetStreamCause } from "./unavailable.js";

const MS = 1_000_000; // nanoseconds per millisecond: JetStream durations are in nanoseconds

/** Where one durable listener reads from. */
export interface ConsumerTarget {
  readonly stream: string;
  readonly name: string;
  readonly config: Partial<ConsumerConfig>;
}

/**
 * The streams the bus needs: the configured ones (with the subjects their schedules wait on,
 * see schedule-subjects.ts) plus the dead-letter stream (limits
 * retention, so dead letters can always be browsed), with as many replicas as the most
 * replicated configured stream unless `deadLetterReplicas` says otherwise.
 */
export function desiredStreams(options: EventBusOptions): DesiredStream[] {
  const mostReplicas = Math.max(1, ...options.streams.map((stream) => stream.replicas ?? 1));
  const deadLetters: DesiredStream = {
    name: options.deadLetterStream,
    subjects: [`${options.deadLetterPrefix}.>`],
    storage: "file",
    retention: "limits",
    replicas: options.deadLetterReplicas ?? mostReplicas,
    ...(options.deadLetterReplicas === undefined && { defaulted: ["replicas"] as const }),
    ...(options.deadLetterMaxAgeMs !== undefined && { maxAgeMs: options.deadLetterMaxAgeMs }),
    ...(options.deadLetterMaxBytes !== undefined && { maxBytes: options.deadLetterMaxBytes }),
  };
  return [...options.streams.map(withScheduleSubjects), deadLetters];
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
      ...(spec.exclusive && exclusiveConfig(spec.exclusive.timeoutMs)),
    },
  };
}


/** The consumer fields we manage, compared with what the server has. */
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
 * Makes streams and consumers match the configuration (create or update, never delete,
 * never weaken an existing stream unless its configuration allows it: see stream-plan.ts),
 * or with dryRun only reports what would change. Idempotent. A stream the server cannot
 * answer for now (no leader, timeout) is reported as "unavailable" with the cause, and its
 * consumers with it: the consumer pumps create them once it is back.
 */
export async function provision(
  jsm: JetStreamManager,
  streams: readonly DesiredStream[],
  consumers: readonly ConsumerTarget[],
  { dryRun, streamsOnly = false, onProgress, serverVersion }: { dryRun: boolean; streamsOnly?: boolean; onProgress?: ProvisionProgress; serverVersion: string | undefined },
): Promise<ProvisionChange[]> {
  // Before anything is created: an older server would ignore the flags and store the stream without them.
  for (const stream of streams) requireStreamFlags(stream, serverVersion);
  const total = streams.length + new Set(consumers.map((target) => `${target.stream}/${target.name}`)).size;
  const changes: ProvisionChange[] = [];
  const done = (change: ProvisionChange) => {
    changes.push(change);
    onProgress?.(changes.length, total, change);
  };
  const unavailable = new Map<string, string>();
  for (const stream of streams) {
    try {
      const change = await provisionStream(jsm, stream, { dryRun, streamsOnly });
      if (change) done(change);
    } catch (err) {
      const cause = jetStreamCause(err, jsm.getOptions().timeout);
      if (!isUnavailable(cause)) throw new EventBusError(ErrorCodes.PROVISION, `cannot provision stream "${stream.name}": ${cause.text}`, { cause: err });
      unavailable.set(stream.name, cause.text);
      done({ kind: "stream", action: "unavailable", name: stream.name, detail: cause.text });
    }
  }
  const seen = new Set<string>();
  for (const target of consumers) {
    const key = `${target.stream}/${target.name}`;
    if (seen.has(key)) continue; // listeners of one group on one subject share a consumer
    seen.add(key);
    const streamDown = unavailable.get(target.stream);
    if (streamDown) {
      done({ kind: "consumer", action: "unavailable", name: key, detail: `stream "${target.stream}": ${streamDown}` });
      continue;
    }
    try {
      const created = dryRun && changes.some((c) => c.kind === "stream" && c.name === target.stream && c.action === "create");
      done(await provisionConsumer(jsm, target, { dryRun, streamCreated: created }));
    } catch (err) {
      if (err instanceof EventBusError) throw err;
      const cause = jetStreamCause(err, jsm.getOptions().timeout);
      if (!isUnavailable(cause)) throw new EventBusError(ErrorCodes.PROVISION, `cannot provision consumer "${key}": ${cause.text}`, { cause: err });
      done({ kind: "consumer", action: "unavailable", name: key, detail: cause.text });
    }
  }
  return changes;
}

function requireStreamFlags(stream: StreamOptions, serverVersion: string | undefined): void {
  if (stream.allowSchedules) requireServerFeature("message schedules", serverVersion, `stream "${stream.name}" with allowSchedules (message schedules)`);
  if (stream.allowMessageTtl) requireServerFeature("per-message TTL", serverVersion, `stream "${stream.name}" with allowMessageTtl (per-message TTL)`);
}

async function provisionStream(jsm: JetStreamManager, stream: DesiredStream, { dryRun, streamsOnly }: { dryRun: boolean; streamsOnly: boolean }): Promise<ProvisionChange | undefined> {
  const existing = await findOrUndefined(() => jsm.streams.info(stream.name));
  if (!existing) {
    if (!dryRun) await jsm.streams.add(newStreamConfig(stream));
    return { kind: "stream", action: "create", name: stream.name, detail: `subjects ${stream.subjects.join(", ")}, replicas ${stream.replicas ?? 1}` };
  }
  if (streamsOnly) return undefined;
  const plan = planStreamUpdate(stream, existing.config);
  if (plan.changes.length > 0 && !dryRun) await jsm.streams.update(stream.name, plan.config);
  const detail = [
    ...plan.changes.map((change) => (plan.weakens.includes(change) ? `${change} (weakens; allowWeakening)` : change)),
    ...plan.refused.map((change) => `kept, not ${change} (would weaken; set allowWeakening: true to allow)`),
    ...plan.impossible.map((change) => `kept, not ${change} (nats-server cannot turn it off)`),
  ];
  const refused = [...plan.refused, ...plan.impossible];
  return {
    kind: "stream",
    action: plan.changes.length > 0 ? "update" : "unchanged",
    name: stream.name,
    detail: detail.join("; "),
    ...(plan.weakens.length > 0 && { weakens: plan.weakens }),
    ...(refused.length > 0 && { refused }),
  };
}

async function provisionConsumer(jsm: JetStreamManager, target: ConsumerTarget, { dryRun, streamCreated }: { dryRun: boolean; streamCreated: boolean }): Promise<ProvisionChange> {
  const key = `${target.stream}/${target.name}`;
  const existing = streamCreated ? undefined : await findOrUndefined(() => jsm.consumers.info(target.stream, target.name));
  if (!existing) {
    if (!dryRun) await jsm.consumers.add(target.stream, target.config);
    return { kind: "consumer", action: "create", name: key, detail: `filter ${target.config.filter_subject}` };
  }
  refuseExclusiveChange(key, existing.config, target.config);
  const { durable_name: _name, deliver_policy: _policy, ...editable } = target.config;
  const diff = differences(editable, existing.config as unknown as Record<string, unknown>);
  if (diff.length && !dryRun) {
    await jsm.consumers.update(target.stream, target.name, editable).catch((err: unknown) => {
      throw exclusiveUpdateError(key, existing.config, target.config, err) ?? err;
    });
  }
  return { kind: "consumer", action: diff.length ? "update" : "unchanged", name: key, detail: diff.join("; ") };
}
