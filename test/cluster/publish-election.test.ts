// Publishing through a stream leader election on a real 3-node cluster: the node that
// leads the R3 stream is killed (SIGKILL), or the leader steps down, while callers publish
// with publish() and publishAll(). The callers see no failure (the publish retry rides the
// election out) and every acknowledged message is stored exactly once. How long they wait
// is measured by bench/election.ts, not here.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EventBus } from "../../src/index.js";
import { clusterSuite } from "../helpers/cluster-suite.js";
import { startPublishLoad, storedKeyCounts, type PublishCall } from "../helpers/publish-load.js";
import { pollUntil, uniqueName, waitFor } from "../helpers/unique.js";
import { silentLogger } from "../integration/support.js";

const ELECTION_MS = 30_000;
/** Generous, so a slow CI machine's election never outlasts it (the default, 10 s, is measured in the bench). */
const RETRY_MS = 30_000;

const fixture = clusterSuite("publish-election");

/** A bus on every node of the cluster, with an R3 stream of its own. */
async function busWithR3Stream(): Promise<{ bus: EventBus; stream: string; subject: string }> {
  const stream = uniqueName("ELECTION").replaceAll("-", "_");
  const prefix = uniqueName("election");
  const bus = new EventBus();
  await bus.connect({
    transport: "jetstream",
    servers: fixture.cluster.urls,
    logger: silentLogger,
    env: {},
    metrics: false,
    publishRetryMs: RETRY_MS,
    streams: [{ name: stream, subjects: [`${prefix}.>`], replicas: 3 }],
  });
  return { bus, stream, subject: `${prefix}.created` };
}

async function leaderOf(stream: string, not?: string): Promise<string> {
  return pollUntil(async () => {
    const leader = (await fixture.jsm.streams.info(stream)).cluster?.leader;
    return leader && leader !== not ? leader : undefined;
  }, ELECTION_MS, `a leader of ${stream}${not ? ` other than ${not}` : ""}`);
}

/**
 * Publishes with 4 publish() callers and a publishAll() caller, runs `disrupt` once some
 * messages are acknowledged, keeps publishing until the new leader acknowledged more, then
 * checks what the callers saw and what the stream holds.
 */
async function publishThrough(disrupt: (stream: string, leader: string) => Promise<void>): Promise<{ calls: readonly PublishCall[]; stream: string }> {
  const { bus, stream, subject } = await busWithR3Stream();
  try {
    const leader = await leaderOf(stream);
    const load = startPublishLoad(bus, subject, { callers: 4, batch: 20, paceMs: 10 });
    await waitFor(() => load.acknowledged() >= 100, ELECTION_MS, "100 acknowledged publishes before the election");
    await disrupt(stream, leader);
    const newLeader = await leaderOf(stream, leader);
    const atNewLeader = load.acknowledged();
    await waitFor(() => load.acknowledged() >= atNewLeader + 200, ELECTION_MS + RETRY_MS, `200 more publishes acknowledged under the new leader ${newLeader}`);
    const calls = await load.stop();

    const failed = calls.filter((call) => call.error);
    assert.deepEqual(failed.map((call) => `${call.api} [${call.keys[0]}…]: ${call.error}`), [], "no caller saw a failure");
    // Right after an election a consumer create (the reader's) may time out: ask again until it answers.
    const stored = await pollUntil(() => storedKeyCounts(fixture.nc, stream), ELECTION_MS, `the contents of ${stream}`);
    const acknowledged = calls.flatMap((call) => call.keys);
    assert.deepEqual(acknowledged.filter((key) => stored.get(key) !== 1).map((key) => `${key} stored ${stored.get(key) ?? 0} times`), [], "every acknowledged publish stored exactly once");
    assert.equal(stored.size, acknowledged.length, "nothing stored that no caller had acknowledged");
    assert.ok(calls.some((call) => call.api === "publishAll") && calls.some((call) => call.api === "publish"), "both APIs published");
    return { calls, stream };
  } finally {
    await bus.close();
  }
}

describe("publishing through a stream leader election (3 nodes, R3 stream)", () => {
  test("kill -9 of the node leading the stream: no caller fails, every acknowledged publish is stored exactly once", async (t) => {
    let killed: string | undefined;
    const { calls } = await publishThrough(async (_stream, leader) => {
      killed = leader;
      await fixture.cluster.node(leader).kill();
    });
    t.diagnostic(`killed ${killed}; ${calls.length} calls, longest ${Math.max(...calls.map((call) => call.ended - call.started))} ms`);
    await fixture.cluster.node(killed!).restart();
    await fixture.cluster.waitReady();
  });

  test("the stream leader steps down ($JS.API.STREAM.LEADER.STEPDOWN): no caller fails, every acknowledged publish is stored exactly once", async (t) => {
    const { calls } = await publishThrough(async (stream) => {
      const answer = await fixture.nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 5_000 });
      assert.equal(answer.json<{ success?: boolean }>().success, true, `stepdown refused: ${answer.string()}`);
    });
    t.diagnostic(`${calls.length} calls, longest ${Math.max(...calls.map((call) => call.ended - call.started))} ms`);
  });
});
