// `nats-events status` on a real 3-node cluster: each stream and consumer shows its leader,
// its 3 replicas and whether each follower is current; a follower whose node was killed
// shows as not current (offline, or behind) until it is back.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { AckPolicy } from "@nats-io/jetstream";
import type { ReplicationState } from "../../src/index.js";
import { clusterSuite } from "../helpers/cluster-suite.js";
import { ProcessGroup } from "../helpers/processes.js";
import { pollUntil, uniqueName } from "../helpers/unique.js";

interface StatusJson {
  streams: Array<{ name: string; replication: ReplicationState | null; consumers: Array<{ name: string; replication: ReplicationState }> }>;
}

const group = new ProcessGroup();
const STREAM = uniqueName("STATUS-R3").replaceAll("-", "_");
const PREFIX = uniqueName("status-r3");
const CONSUMER = "r3-workers";
const fixture = clusterSuite("status-replicas");
let dir: string;
let config: string;

after(async () => {
  await group.killAll();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function status(): Promise<{ stream: StatusJson["streams"][number] }> {
  const run = await group.run(["status", "--json", "--config", config], { name: "status --json", env: {} });
  assert.equal(run.exit?.code, 0, run.output());
  const stream = (JSON.parse(run.stdoutLines.join("\n")) as StatusJson).streams.find((s) => s.name === STREAM);
  assert.ok(stream, run.output());
  return { stream };
}

function assertAllCurrent(replication: ReplicationState | null | undefined, what: string): void {
  assert.ok(replication?.leader, `${what} has a leader: ${JSON.stringify(replication)}`);
  assert.equal(replication.replicas, 3, what);
  assert.deepEqual(replication.peers.map((peer) => peer.server).sort(), ["n1", "n2", "n3"], what);
  assert.deepEqual(replication.peers[0], { server: replication.leader, role: "leader", current: true, offline: false, lag: 0, lastSeenMs: null });
  for (const follower of replication.peers.slice(1)) {
    assert.equal(follower.role, "follower");
    assert.equal(follower.offline, false, `${what}: ${JSON.stringify(follower)}`);
    assert.ok(typeof follower.lastSeenMs === "number" && follower.lastSeenMs >= 0, `${what}: ${JSON.stringify(follower)}`);
  }
}

test("status shows each stream's and consumer's leader and 3 replicas, and a killed follower as not current", async (t) => {
  // Set up here, not in a before() hook: top-level hooks do not wait for the fixture's.
  const { jsm, cluster } = fixture;
  await jsm.streams.add({ name: STREAM, subjects: [`${PREFIX}.>`], num_replicas: 3 });
  await jsm.consumers.add(STREAM, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit, filter_subject: `${PREFIX}.>` });
  dir = await mkdtemp(path.join(os.tmpdir(), "nats-events-status-r3-"));
  config = path.join(dir, "nats-events.config.mjs");
  const options = { transport: "jetstream", servers: cluster.urls, streams: [{ name: STREAM, subjects: [`${PREFIX}.>`], replicas: 3 }] };
  await writeFile(config, `export default ${JSON.stringify(options, null, 2)};\n`);
  // Followers become current a moment after creation: wait for the server to say so.
  const healthy = await pollUntil(async () => {
    const { stream } = await status();
    const everyone = [stream.replication, stream.consumers[0]?.replication];
    return everyone.every((replication) => replication?.peers.length === 3 && replication.peers.every((peer) => peer.current)) ? stream : undefined;
  }, 30_000, "every copy current");
  assertAllCurrent(healthy.replication, `stream ${STREAM}`);
  assert.equal(healthy.consumers[0]?.name, CONSUMER);
  assertAllCurrent(healthy.consumers[0]?.replication, `consumer ${CONSUMER}`);

  const readable = await group.run(["status", "--config", config], { name: "status", env: {} });
  assert.equal(readable.exit?.code, 0, readable.output());
  const text = readable.stdoutLines.join("\n");
  const leader = healthy.replication!.leader!;
  const followers = healthy.replication!.peers.slice(1).map((peer) => `${peer.server} current`).join(", ");
  assert.match(text, new RegExp(`^${STREAM}\\s+${PREFIX}\\.>\\s+0\\s+0 B\\s+${leader}\\s+3 \\(${followers}\\)$`, "m"));
  t.diagnostic(`status on the cluster:\n${text}`);

  const follower = healthy.replication!.peers[1]!.server;
  await fixture.cluster.node(follower).kill();
  const degraded = await pollUntil(async () => {
    const { stream } = await status();
    const copy = stream.replication?.peers.find((peer) => peer.server === follower);
    return copy && (!copy.current || copy.offline) ? stream : undefined;
  }, 30_000, `status to show ${follower} (killed) as not current`);
  assert.equal(degraded.replication?.leader, leader, "the leader stays (a follower went away)");
  const afterKill = await group.run(["status", "--config", config], { name: "status (a follower down)", env: {} });
  assert.match(afterKill.stdoutLines.join("\n"), new RegExp(`^${STREAM}\\s.*\\b${follower} (offline|not current \\(lag \\d+)`, "m"));
  t.diagnostic(`with ${follower} killed:\n${afterKill.stdoutLines.join("\n")}`);
  t.diagnostic(`--json replication: ${JSON.stringify(degraded.replication)}`);

  await fixture.cluster.node(follower).restart();
  await pollUntil(async () => ((await status()).stream.replication?.peers.every((peer) => peer.current) ? true : undefined), 30_000, `${follower} current again`);
});
