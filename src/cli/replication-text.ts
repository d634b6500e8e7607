import type { ReplicationState } from "../transport/transport.js";

/** The LEADER column of `nats-events status`: the leader's server name, or why there is none. */
export function leaderText(replication: ReplicationState | null): string {
  if (!replication) return "-";
  return replication.leader ?? "(none: electing)";
}

/**
 * The REPLICAS column: the configured count, then each follower's health, e.g.
 * `3 (n1 current, n3 not current (lag 12, last seen 4.2 s ago))`; `1` on a single server.
 */
export function replicasText(replication: ReplicationState | null): string {
  if (!replication) return "-";
  const followers = replication.peers.filter((peer) => peer.role === "follower");
  if (followers.length === 0) return String(replication.replicas);
  const described = followers.map((peer) => {
    if (peer.offline) return `${peer.server} offline`;
    if (peer.current) return `${peer.server} current`;
    const seen = peer.lastSeenMs === null ? "" : `, last seen ${(peer.lastSeenMs / 1000).toFixed(1)} s ago`;
    return `${peer.server} not current (lag ${peer.lag}${seen})`;
  });
  return `${replication.replicas} (${described.join(", ")})`;
}
