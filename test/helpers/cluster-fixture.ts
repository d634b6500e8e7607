import { after, before } from "node:test";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNatsCluster, type NatsCluster } from "./nats-cluster.js";
import { pollUntil, uniqueName } from "./unique.js";

/**
 * Resolves once the cluster can place a stream with `replicas` copies. A fresh cluster
 * answers JetStream requests (it has a meta leader) a moment before every node is known as
 * a JetStream peer; until then an R3 stream fails with "no suitable peers for placement".
 * Probes by creating and deleting a throwaway stream.
 */
export async function waitUntilPlaceable(jsm: JetStreamManager, replicas: number, timeoutMs = 30_000): Promise<void> {
  const name = uniqueName("PLACEMENT-PROBE").replaceAll("-", "_");
  await pollUntil(
    async () => {
      await jsm.streams.add({ name, subjects: [`${name.toLowerCase()}.probe`], num_replicas: replicas });
      await jsm.streams.delete(name);
      return true;
    },
    timeoutMs,
    `the cluster to place a stream with ${replicas} replicas`,
    250,
  );
}

export interface ClusterFixture {
  readonly cluster: NatsCluster;
  /** A raw connection to every node, and a JetStream manager on it, for looking at leaders and contents. */
  readonly admin: NatsConnection;
  readonly jsm: JetStreamManager;
}

/**
 * A 3-node cluster for the test file that calls it: started (and able to place R3 streams)
 * before its tests, stopped after them.
 */
export function useNatsCluster(name: string): ClusterFixture {
  let cluster: NatsCluster | undefined;
  let admin: NatsConnection | undefined;
  let jsm: JetStreamManager | undefined;
  before(async () => {
    cluster = await startNatsCluster();
    admin = await connect({ servers: cluster.urls, name: `${name}-admin` });
    jsm = await jetstreamManager(admin);
    await waitUntilPlaceable(jsm, 3);
  });
  after(async () => {
    await admin?.close();
    await cluster?.stop();
  });
  return {
    get cluster() {
      return cluster!;
    },
    get admin() {
      return admin!;
    },
    get jsm() {
      return jsm!;
    },
  };
}
