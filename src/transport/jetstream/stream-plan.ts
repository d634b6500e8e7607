import { RetentionPolicy, StorageType, type StreamConfig } from "@nats-io/jetstream";
import type { StreamOptions } from "../../bus/options.js";

const MS = 1_000_000; // nanoseconds per millisecond: JetStream durations are in nanoseconds

/** The full configuration of a new stream: the configured fields, defaults for the rest. */
export function newStreamConfig(stream: StreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: stream.name,
    subjects: stream.subjects,
    storage: stream.storage === "memory" ? StorageType.Memory : StorageType.File,
    retention: retentionOf(stream.retention ?? "limits"),
    max_age: (stream.maxAgeMs ?? 0) * MS,
    max_bytes: stream.maxBytes ?? -1,
    max_msgs: stream.maxMsgs ?? -1,
    num_replicas: stream.replicas ?? 1,
    duplicate_window: (stream.duplicateWindowMs ?? 120_000) * MS,
    // Only when asked: servers before 2.11 / 2.12 do not know these fields.
    ...(stream.allowMessageTtl && { allow_msg_ttl: true }),
    ...(stream.allowSchedules && { allow_msg_schedules: true }),
  };
}

/** A stream as provisioning wants it; `defaulted` names fields the library filled in, not the configuration. */
export interface DesiredStream extends StreamOptions {
  /** Defaults may raise these on an existing stream, never lower them (and a lower default is not a refusal worth reporting). */
  readonly defaulted?: ReadonlyArray<"replicas">;
}

/** What provisioning does to an existing stream. */
export interface StreamPlan {
  /** The stream's whole configuration after the update (the server's, with the accepted changes). */
  readonly config: StreamConfig;
  /** "field: old -> new" for every change made. */
  readonly changes: string[];
  /** Changes made that weaken the stream (allowed by `allowWeakening: true`). */
  readonly weakens: string[];
  /** Changes the configuration asks for but that would weaken the stream: not made. */
  readonly refused: string[];
  /** Changes the configuration asks for that nats-server never makes (turning a feature flag off): not made, whatever allowWeakening says. */
  readonly impossible: string[];
}

interface Field {
  readonly key: keyof StreamConfig;
  /** The configured value in the server's terms; undefined when the configuration leaves it out. */
  readonly desired: (stream: StreamOptions) => unknown;
  /** Does going from `actual` to `desired` lose durability, retention or deduplication? */
  readonly weakens: (actual: never, desired: never) => boolean;
  /** What a server that leaves the field out means by it (older servers do not send the flags: off). */
  readonly absent?: unknown;
  /** The server refuses this change outright (it answers "can not be disabled"). */
  readonly impossible?: (actual: never, desired: never) => boolean;
}

/** allow_msg_ttl and allow_msg_schedules: turning one on is allowed on a stream with messages; nats-server refuses turning it off. */
const flagField = (key: "allow_msg_ttl" | "allow_msg_schedules", option: "allowMessageTtl" | "allowSchedules"): Field => ({
  key,
  desired: (s) => s[option],
  absent: false,
  weakens: () => false,
  impossible: (actual: boolean | undefined, desired: boolean) => actual === true && !desired,
});

/** 0 (max_age) and -1 (max_bytes, max_msgs) mean "no limit". */
const lowersLimit = (unlimited: number) => (actual: number, desired: number) => desired !== unlimited && (actual === unlimited || desired < actual);

const FIELDS: readonly Field[] = [
  { key: "num_replicas", desired: (s) => s.replicas, weakens: (actual: number, desired: number) => desired < actual },
  { key: "max_age", desired: (s) => (s.maxAgeMs === undefined ? undefined : s.maxAgeMs * MS), weakens: lowersLimit(0) },
  { key: "max_bytes", desired: (s) => s.maxBytes, weakens: lowersLimit(-1) },
  { key: "max_msgs", desired: (s) => s.maxMsgs, weakens: lowersLimit(-1) },
  { key: "duplicate_window", desired: (s) => (s.duplicateWindowMs === undefined ? undefined : s.duplicateWindowMs * MS), weakens: (actual: number, desired: number) => desired < actual },
  { key: "storage", desired: (s) => s.storage && (s.storage === "memory" ? StorageType.Memory : StorageType.File), weakens: (_actual: string, desired: string) => desired === StorageType.Memory },
  { key: "retention", desired: (s) => s.retention && retentionOf(s.retention), weakens: (actual: string, desired: string) => actual === RetentionPolicy.Limits && desired !== actual },
  flagField("allow_msg_ttl", "allowMessageTtl"),
  flagField("allow_msg_schedules", "allowSchedules"),
];

/**
 * Compares the configuration with an existing stream. A field the configuration leaves
 * out stays as it is; a change that weakens the stream (fewer replicas, a shorter max
 * age, lower limits, a shorter duplicate window, memory storage, a retention other than
 * limits, fewer subjects) is made only with `allowWeakening: true`, else it is refused
 * and reported. Subjects the stream has beyond the configured ones are kept likewise.
 * Turning allowSchedules / allowMessageTtl off is never attempted (the server refuses it).
 */
export function planStreamUpdate(stream: DesiredStream, actual: StreamConfig): StreamPlan {
  const config = { ...actual } as StreamConfig & Record<string, unknown>;
  const changes: string[] = [];
  const weakens: string[] = [];
  const refused: string[] = [];
  const impossible: string[] = [];
  const consider = (key: string, from: unknown, to: unknown, weakening: boolean) => {
    const change = `${key}: ${JSON.stringify(from)} -> ${JSON.stringify(to)}`;
    if (weakening && !stream.allowWeakening) return void refused.push(change);
    config[key] = to;
    changes.push(change);
    if (weakening) weakens.push(change);
  };
  for (const field of FIELDS) {
    const desired = field.desired(stream);
    const current = actual[field.key] ?? field.absent;
    if (desired === undefined || JSON.stringify(desired) === JSON.stringify(current)) continue;
    if (field.impossible?.(current as never, desired as never)) {
      impossible.push(`${field.key}: ${JSON.stringify(current)} -> ${JSON.stringify(desired)}`);
      continue;
    }
    const weakening = field.weakens(current as never, desired as never);
    if (weakening && field.key === "num_replicas" && stream.defaulted?.includes("replicas")) continue;
    consider(field.key, current, desired, weakening);
  }
  const current = actual.subjects ?? [];
  const added = stream.subjects.filter((subject) => !current.includes(subject));
  const dropped = current.filter((subject) => !stream.subjects.includes(subject));
  if (dropped.length > 0) consider("subjects", current, stream.subjects, true);
  if (added.length > 0 && (dropped.length === 0 || !stream.allowWeakening)) consider("subjects", current, [...current, ...added], false);
  return { config, changes, weakens, refused, impossible };
}

function retentionOf(retention: NonNullable<StreamOptions["retention"]>): RetentionPolicy {
  return retention === "interest" ? RetentionPolicy.Interest : retention === "workqueue" ? RetentionPolicy.Workqueue : RetentionPolicy.Limits;
}
