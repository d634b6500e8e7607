import type { JetStreamManager } from "@nats-io/jetstream";
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
