// Provisioning on a real 3-node cluster: it never weakens a stream that exists (an R3
// stream stays R3 unless the configuration says allowWeakening), the dead-letter stream
// follows the configured replicas, and a stream with no node up does not fail connect:
// the rest of the bus works, its listener waits (health says why) and starts once it is back.
import "reflect-metadata";
import assert from "node:assert/strict";
import { test } from "node:test";
import { injectable } from "tsyringe";
import { Listen, type ConnectOptions, type StreamOptions } from "../../src/index.js";
import { clusterSuite } from "../helpers/cluster-suite.js";
import { Collector, pollUntil, uniqueName } from "../helpers/unique.js";

const NS_PER_MS = 1_000_000;
const islandSubject = `island.${uniqueName("orders")}`;

@injectable()
class IslandListener {
  static readonly handled = new Collector<number>();
  @Listen(islandSubject, "island-workers")
  handle(data: { id: number }): void {
    IslandListener.handled.push(data.id);
  }
}

const suite = clusterSuite("cluster-provisioning", () => ({ deadLetterStream: uniqueName("DL"), deadLetterPrefix: uniqueName("dl") }));

/** A bus with these streams (and a dead-letter stream of its own). */
const makeBus = (streams: StreamOptions[], extra: ConnectOptions = {}) => suite.bus({ streams, ...extra });

test("an R3 stream made outside the library stays R3: a config without replicas leaves it, replicas: 1 is refused (and marked) unless allowWeakening", { timeout: 60_000 }, async () => {
  const name = uniqueName("R3");
  await suite.jsm.streams.add({ name, subjects: [`${name}.>`], num_replicas: 3, max_age: 3_600_000 * NS_PER_MS });

  const silent = await makeBus([{ name, subjects: [`${name}.>`] }]);
  const [unchanged] = await silent.provision([]);
  assert.deepEqual({ action: unchanged!.action, name: unchanged!.name }, { action: "unchanged", name });
  assert.equal((await suite.jsm.streams.info(name)).config.num_replicas, 3, "a config that leaves replicas out leaves them");

  const lower = await makeBus([{ name, subjects: [`${name}.>`], replicas: 1, maxAgeMs: 60_000 }]);
  const [planned] = await lower.provision([], { dryRun: true });
  assert.deepEqual(planned!.refused, ["num_replicas: 3 -> 1", `max_age: ${3_600_000 * NS_PER_MS} -> ${60_000 * NS_PER_MS}`]);
  assert.match(planned!.detail, /kept, not num_replicas: 3 -> 1 \(would weaken; set allowWeakening: true to allow\)/);
  const [refused] = await lower.provision([]);
  assert.equal(refused!.action, "unchanged");
  const kept = await suite.jsm.streams.info(name);
  assert.equal(kept.config.num_replicas, 3, "lowering replicas is refused");
  assert.equal(kept.config.max_age, 3_600_000 * NS_PER_MS, "shortening max age is refused");

  const explicit = await makeBus([{ name, subjects: [`${name}.>`], replicas: 1, allowWeakening: true }]);
  const [weakened] = await explicit.provision([]);
  assert.equal(weakened!.action, "update");
  assert.deepEqual(weakened!.weakens, ["num_replicas: 3 -> 1"]);
  assert.match(weakened!.detail, /num_replicas: 3 -> 1 \(weakens; allowWeakening\)/);
  assert.equal((await suite.jsm.streams.info(name)).config.num_replicas, 1, "lowered when the configuration allows it explicitly");
});

test("the dead-letter stream gets the most replicas of the configured streams, or deadLetterReplicas/MaxAgeMs/MaxBytes, with limits retention", { timeout: 60_000 }, async () => {
  const name = uniqueName("ORDERS");
  const derived = uniqueName("DL");
  await makeBus([{ name, subjects: [`${name}.>`], replicas: 3 }], { deadLetterStream: derived, deadLetterPrefix: uniqueName("dl") });
  const derivedInfo = await suite.jsm.streams.info(derived);
  assert.equal(derivedInfo.config.num_replicas, 3);
  assert.equal(derivedInfo.config.retention, "limits");

  const configured = uniqueName("DL");
  await makeBus([{ name, subjects: [`${name}.>`], replicas: 3 }], {
    deadLetterStream: configured,
    deadLetterPrefix: uniqueName("dl"),
    deadLetterReplicas: 2,
    deadLetterMaxAgeMs: 86_400_000,
    deadLetterMaxBytes: 1_000_000,
  });
  const info = await suite.jsm.streams.info(configured);
  assert.deepEqual(
    { replicas: info.config.num_replicas, maxAge: info.config.max_age, maxBytes: info.config.max_bytes, retention: info.config.retention },
    { replicas: 2, maxAge: 86_400_000 * NS_PER_MS, maxBytes: 1_000_000, retention: "limits" },
  );
});

test("a stream whose only node is down: connect succeeds, other streams publish, its listener waits (health says why) and starts when the node is back", { timeout: 120_000 }, async () => {
  const island = uniqueName("ISLAND");
  const mainland = uniqueName("MAINLAND");
  await suite.jsm.streams.add({ name: island, subjects: ["island.>"], num_replicas: 1 });
  const holder = (await suite.jsm.streams.info(island)).cluster!.leader!;
  const node = suite.cluster.node(holder);
  await node.kill();
  await suite.cluster.waitReady(); // a JetStream meta leader among the nodes left (connect needs one; connectWithRetry would wait for it)
  try {
    const streams: StreamOptions[] = [
      { name: mainland, subjects: [`${mainland}.>`], replicas: 3 },
      { name: island, subjects: ["island.>"] },
    ];
    const bus = await makeBus(streams);
    const receipt = await pollUntil(() => bus.publish(`${mainland}.one`, { id: 1 }), 30_000, "a publish to the stream whose nodes are up");
    assert.equal(receipt.stream, mainland);

    await bus.listen([IslandListener]);
    const waiting = await pollUntil(async () => bus.health().listeners.find((listener) => listener.waiting), 30_000, "the island listener reported as waiting");
    assert.equal(waiting.listener, "IslandListener.handle");
    assert.match(waiting.waiting!, new RegExp(`stream "${island}".*(timed out|no leader)`));
    assert.equal(bus.health().ready, false, "not ready while a listener has no consumer");

    await node.restart();
    await pollUntil(async () => (bus.health().ready ? true : undefined), 60_000, "the bus ready once the island's node is back");
    await pollUntil(() => bus.publish(islandSubject, { id: 7 }), 30_000, "a publish to the island stream");
    assert.deepEqual(await IslandListener.handled.waitForCount(1, 30_000, "the island listener handling an event"), [7]);
  } finally {
    if (!node.running) await node.restart();
  }
});
