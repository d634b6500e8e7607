import type { LiveProcess } from "../discovery/discover.js";
import type { ConsumerState, StreamState } from "../transport/transport.js";
import type { LagHistory } from "./lag-history.js";

/** The listeners that share messages: one durable consumer (JetStream), or one core subject + queue group. */
export interface ListenerGroup {
  readonly key: string;
  readonly subject: string;
  readonly queueGroup: string | undefined;
  readonly listeners: readonly string[];
  readonly durable: boolean;
  readonly stream: string | undefined;
  readonly consumer: string | undefined;
  /** What the server reports for the consumer (durable groups whose consumer exists). */
  readonly state: ConsumerState | undefined;
  readonly processes: ReadonlyArray<{ readonly id: string; readonly pid: string; readonly host: string }>;
  readonly handled: number;
  readonly failed: number;
  readonly deadLettered: number;
  /** Counts over the last minute, from the processes' histories. */
  readonly handledPerMinute: number;
  readonly failedPerMinute: number;
  readonly lastError: { readonly text: string; readonly at: string | undefined } | undefined;
  /** Pending messages and nobody to take them. */
  readonly orphaned: boolean;
  readonly lagGrowing: boolean;
}

interface Draft {
  key: string;
  subject: string;
  queueGroup: string | undefined;
  listeners: Set<string>;
  durable: boolean;
  stream: string | undefined;
  consumer: string | undefined;
  state: ConsumerState | undefined;
  processes: Array<{ id: string; pid: string; host: string }>;
  handled: number;
  failed: number;
  deadLettered: number;
  handledPerMinute: number;
  failedPerMinute: number;
  lastError: { text: string; at: string | undefined } | undefined;
}

/**
 * Joins what the live processes said about their listeners with the consumers the server
 * has: one row per group, with its processes, the server's pending counts and the summed
 * counters. Consumers no live process reads from are rows too (a stopped service, or a
 * renamed group's leftover), flagged when messages wait in them.
 */
export function listenerGroups(processes: readonly LiveProcess[], streams: readonly StreamState[], lag: LagHistory, now = Date.now()): ListenerGroup[] {
  const groups = new Map<string, Draft>();
  const consumers = new Map<string, ConsumerState>(streams.flatMap((stream) => stream.consumers.map((consumer) => [`${consumer.stream}/${consumer.name}`, consumer] as const)));
  const minuteAgo = now - 60_000;

  for (const process of processes) {
    for (const listener of process.listeners) {
      const key = listener.consumer ? `${listener.stream}/${listener.consumer}` : `core ${listener.subject} ${listener.queueGroup ?? listener.listener}`;
      let group = groups.get(key);
      if (!group) {
        group = { ...emptyDraft(key, listener.subject, listener.queueGroup), durable: listener.durable, stream: listener.stream, consumer: listener.consumer, state: consumers.get(key) };
        groups.set(key, group);
      }
      group.listeners.add(listener.listener);
      if (!group.processes.some((known) => known.id === process.id)) group.processes.push({ id: process.id, pid: process.pid, host: process.host });
      const { activity } = listener;
      group.handled += activity.handled;
      group.failed += activity.failed;
      group.deadLettered += activity.deadLettered;
      for (const [start, handled, failed] of activity.history) {
        if (start + activity.bucketMs <= minuteAgo) continue;
        group.handledPerMinute += handled;
        group.failedPerMinute += failed;
      }
      if (listener.lastError && (!group.lastError || (listener.activity.lastErrorAt ?? "") > (group.lastError.at ?? ""))) {
        group.lastError = { text: listener.lastError, at: listener.activity.lastErrorAt };
      }
    }
  }
  for (const [key, state] of consumers) {
    if (groups.has(key)) continue;
    groups.set(key, { ...emptyDraft(key, state.filter ?? "?", undefined), durable: true, stream: state.stream, consumer: state.name, state });
  }

  return [...groups.values()]
    .map((group): ListenerGroup => {
      const waiting = (group.state?.pending ?? 0) + (group.state?.ackPending ?? 0);
      if (group.state) lag.record(group.key, group.state.pending, now);
      return {
        ...group,
        listeners: [...group.listeners].sort(),
        orphaned: group.processes.length === 0 && waiting > 0,
        lagGrowing: group.state !== undefined && lag.growing(group.key),
      };
    })
    .sort((a, b) => a.subject.localeCompare(b.subject) || (a.queueGroup ?? "").localeCompare(b.queueGroup ?? "") || a.key.localeCompare(b.key));
}

function emptyDraft(key: string, subject: string, queueGroup: string | undefined): Draft {
  return {
    key,
    subject,
    queueGroup,
    listeners: new Set(),
    durable: false,
    stream: undefined,
    consumer: undefined,
    state: undefined,
    processes: [],
    handled: 0,
    failed: 0,
    deadLettered: 0,
    handledPerMinute: 0,
    failedPerMinute: 0,
    lastError: undefined,
  };
}
