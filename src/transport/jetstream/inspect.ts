import type { ClusterInfo, ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import type { StreamOptions } from "../../bus/options.js";
import { singleCopy, type ConsumerState, type ReplicationState, type StreamState } from "../transport.js";
import { pausedUntilOf } from "./consumer-pause.js";
import { isExclusiveConsumer } from "./exclusive-consumer.js";
import type { ConsumerTarget } from "./provisioning.js";
import { unavailableError } from "./unavailable.js";

/** What the server holds for the configured streams: counts of each, and every consumer it has (leftovers of renamed groups too). */
export async function inspectStreams(jsm: JetStreamManager, streams: readonly StreamOptions[], server: string | undefined): Promise<StreamState[]> {
  const states: StreamState[] = [];
  for (const stream of streams) {
    const info = await jsm.streams.info(stream.name).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw unavailableError(`stream "${stream.name}"`, err, jsm.getOptions().timeout) ?? err;
    });
    if (!info) {
      states.push({ name: stream.name, subjects: stream.subjects, exists: false, messages: 0, bytes: 0, consumers: [], replication: null });
      continue;
    }
    const consumers: ConsumerState[] = [];
    for await (const consumer of jsm.consumers.list(stream.name)) consumers.push(consumerState(consumer, server));
    consumers.sort((a, b) => a.name.localeCompare(b.name));
    states.push({
      name: stream.name,
      subjects: info.config.subjects ?? stream.subjects,
      exists: true,
      messages: info.state.messages,
      bytes: info.state.bytes,
      consumers,
      replication: replicationState(info.cluster, info.config.num_replicas, server),
    });
  }
  return states;
}

/** The consumers of these targets (each once); a consumer that does not exist (yet) is left out. */
export async function inspectConsumers(jsm: JetStreamManager, targets: readonly ConsumerTarget[], server: string | undefined): Promise<ConsumerState[]> {
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
    if (info) states.push(consumerState(info, server));
  }
  return states;
}

function consumerState(info: ConsumerInfo, server: string | undefined): ConsumerState {
  return {
    stream: info.stream_name,
    name: info.name,
    filter: info.config.filter_subject ?? info.config.filter_subjects?.join(","),
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    redelivered: info.num_redelivered,
    // A consumer's num_replicas 0 means "as many as its stream".
    replication: replicationState(info.cluster, info.config.num_replicas || undefined, server),
    ...(info.paused ? { pausedUntil: pausedUntilOf(info) } : {}),
    ...(isExclusiveConsumer(info.config) && { exclusive: pinOf(info) }),
  };
}

/** The priority group's state (nats.js 3.4 does not type it): the pin id, and when it was given, while a process holds it. */
function pinOf(info: ConsumerInfo): { pinId?: string; since?: string } {
  const [state] = (info as { priority_groups?: Array<{ pinned_client_id?: string; pinned_ts?: string }> }).priority_groups ?? [];
  return state?.pinned_client_id ? { pinId: state.pinned_client_id, ...(state.pinned_ts && { since: state.pinned_ts }) } : {};
}

const NS_PER_MS = 1_000_000;

/**
 * The leader and every copy, from the cluster block of a stream or consumer info. A server
 * that is not clustered sends no such block: the one server (`server`, the one connected to)
 * holds the only copy. During an election there is no leader (the followers stay listed).
 */
function replicationState(cluster: ClusterInfo | undefined, configured: number | undefined, server: string | undefined): ReplicationState {
  if (!cluster) return server ? singleCopy(server) : { leader: null, replicas: configured ?? 1, peers: [] };
  const leader = cluster.leader ?? null;
  const followers = (cluster.replicas ?? []).map((peer) => ({
    server: peer.name,
    role: "follower" as const,
    current: peer.current,
    offline: peer.offline ?? false,
    lag: peer.lag ?? 0,
    lastSeenMs: peer.active === undefined ? null : Math.round(peer.active / NS_PER_MS),
  }));
  const peers = leader === null ? followers : [...singleCopy(leader).peers, ...followers];
  return { leader, replicas: configured ?? peers.length, peers };
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown }).code === 404 || /not found/i.test(err instanceof Error ? err.message : String(err));
}
