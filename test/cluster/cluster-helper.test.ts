// The 3-node cluster kit itself, on real servers: an R3 stream gets three replicas on
// three nodes, a publish acknowledged before its stream leader is killed (SIGKILL) is
// still there under the new leader, and the killed node catches up when it comes back.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNatsCluster, type NatsCluster } from "../helpers/nats-cluster.js";
import { pollUntil } from "../helpers/unique.js";

const STREAM = "CLUSTER_KIT";
let cluster: NatsCluster;
let nc: NatsConnection;
let jsm: JetStreamManager;

before(async () => {
  cluster = await startNatsCluster();
  nc = await connect({ servers: cluster.urls, name: "cluster-kit-test" });
  jsm = await jetstreamManager(nc);
});

after(async () => {
  await nc?.close();
  await cluster?.stop();
});

test("an acknowledged publish survives the loss of its stream leader, and the node catches up", async () => {
  await jsm.streams.add({ name: STREAM, subjects: ["kit.>"], num_replicas: 3 });
  const info = await jsm.streams.info(STREAM);
  assert.equal(info.config.num_replicas, 3);
  const leaderName = info.cluster?.leader;
  assert.ok(leaderName, "the stream has a leader");
  assert.equal(info.cluster?.replicas?.length, 2, "two followers besides the leader");

  const ack = await jetstream(nc).publish("kit.one", new TextEncoder().encode("kept"), { msgID: "kit-1" });
  assert.equal(ack.seq, 1);

  const leader = cluster.node(leaderName);
  await leader.kill();
  const newLeader = await pollUntil(async () => {
    const now = await jsm.streams.info(STREAM);
    return now?.cluster?.leader && now.cluster.leader !== leaderName ? now.cluster.leader : undefined;
  }, 30_000, "a new stream leader after SIGKILL of the old one");
  assert.notEqual(newLeader, leaderName);
  const stored = await jsm.streams.getMessage(STREAM, { seq: 1 });
  assert.equal(new TextDecoder().decode(stored!.data), "kept");

  await leader.restart();
  await pollUntil(async () => {
    const now = await jsm.streams.info(STREAM);
    const back = now?.cluster?.replicas?.find((replica) => replica.name === leaderName);
    return back?.current ? true : undefined;
  }, 30_000, `node ${leaderName} current again after its restart`);
});
