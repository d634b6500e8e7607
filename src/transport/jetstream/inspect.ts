import type { ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import type { StreamOptions } from "../../bus/options.js";
import type { ConsumerState, StreamState } from "../transport.js";
import { pausedUntilOf } from "./consumer-pause.js";
import type { ConsumerTarget } from "./provisioning.js";

/** What the server holds for the configured streams: counts of each, and every consumer it has (leftovers of renamed groups too). */
export async function inspectStreams(jsm: JetStreamManager, streams: readonly StreamOptions[]): Promise<StreamState[]> {
  const states: StreamState[] = [];
  for (const stream of streams) {
    const info = await jsm.streams.info(stream.name).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (!info) {
      states.push({ name: stream.name, subjects: stream.subjects, exists: false, messages: 0, bytes: 0, consumers: [] });
      continue;
    }
    const consumers: ConsumerState[] = [];
    for await (const consumer of jsm.consumers.list(stream.name)) consumers.push(consumerState(consumer));
    consumers.sort((a, b) => a.name.localeCompare(b.name));
    states.push({ name: stream.name, subjects: info.config.subjects ?? stream.subjects, exists: true, messages: info.state.messages, bytes: info.state.bytes, consumers });
  }
  return states;
}

/** The consumers of these targets (each once); a consumer that does not exist (yet) is left out. */
export async function inspectConsumers(jsm: JetStreamManager, targets: readonly ConsumerTarget[]): Promise<ConsumerState[]> {
  const seen = new Set<string>();
  const states: ConsumerState[] = [];
  for (const target of targets) {
    const key = `${target.stream}/${target.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const info = await jsm.consumers.info(target.stream, target.name).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (info) states.push(consumerState(info));
  }
  return states;
}

function consumerState(info: ConsumerInfo): ConsumerState {
  return {
    stream: info.stream_name,
    name: info.name,
    filter: info.config.filter_subject ?? info.config.filter_subjects?.join(","),
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    redelivered: info.num_redelivered,
    ...(info.paused ? { pausedUntil: pausedUntilOf(info) } : {}),
  };
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown }).code === 404 || /not found/i.test(err instanceof Error ? err.message : String(err));
}
