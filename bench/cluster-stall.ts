/**
 * `npm run build && node dist/bench/cluster-stall.js [--runs 5] [--modes library,consume-default]`
 *
 * How long does a listener receive nothing after its consumer's leader changes? On a real
 * 3-node cluster (started here, loopback, temp dirs), each run makes a fresh R3 stream and
 * consumer, publishes ~200 events/s, asks the consumer leader to step down
 * (`$JS.API.CONSUMER.LEADER.STEPDOWN`), and measures the longest gap between two deliveries
 * around it (normal gaps are ~5 ms), and whether every event was delivered.
 *
 * Modes: `library` (an EventBus listener: the consumer pump), `consume-default` (raw nats.js
 * `consume({ max_messages: 100 })` with its default 30 s expiry: what the pump did before).
 */
import "reflect-metadata";
import { parseArgs } from "node:util";
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { EventBus, Listen, createConsoleLogger } from "../src/index.js";
import { startNatsCluster, type NatsCluster } from "../test/helpers/nats-cluster.js";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "5" }, modes: { type: "string", default: "library,consume-default" }, event: { type: "string", default: "stepdown" } },
});
/** stepdown: ask the consumer leader to step down; kill: SIGKILL the node leading the consumer (restarted after the run). */
const EVENT = values.event === "kill" ? "kill" : "stepdown";
const RUNS = Number(values.runs);
const MODES = values.modes!.split(",");
const RATE_PER_S = 200;
const AFTER_STEPDOWN_MS = 45_000; // a stall longer than this counts as "no resume"

interface Run {
  mode: string;
  gapMs: number;
  /** How long publishes failed around the event (a stream leader election), for telling the two apart. */
  publishOutageMs: number;
  published: number;
  delivered: number;
}

async function main(): Promise<void> {
  const cluster = await startNatsCluster();
  process.stdout.write(`event: ${EVENT}, ${RUNS} run(s) per mode, ~${RATE_PER_S} events/s\n`);
  const nc = await connect({ servers: cluster.urls, name: "cluster-stall-bench" });
  const jsm = await jetstreamManager(nc);
  const results: Run[] = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const mode of MODES) {
        const result = await once(cluster, nc, jsm, mode, run);
        results.push(result);
        process.stdout.write(`${mode} run ${run}: longest gap ${result.gapMs} ms (publishes failed for ${result.publishOutageMs} ms), delivered ${result.delivered}/${result.published}\n`);
      }
    }
  } finally {
    await nc.close();
    await cluster.stop();
  }
  for (const mode of MODES) {
    const gaps = results.filter((r) => r.mode === mode).map((r) => r.gapMs).sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)];
    process.stdout.write(`${mode}: median ${median} ms, min ${gaps[0]} ms, max ${gaps.at(-1)} ms over ${gaps.length} runs\n`);
  }
}

async function once(cluster: NatsCluster, nc: NatsConnection, jsm: JetStreamManager, mode: string, run: number): Promise<Run> {
  const stream = `STALL_${mode.replace(/\W/g, "_")}_${run}`;
  const subject = `stall.${run}.${mode}`;
  const group = `stall-${run}`;
  const arrivals: number[] = [];
  const seen = new Set<number>();
  const record = (id: number) => {
    arrivals.push(performance.now());
    seen.add(id);
  };
  await untilAccepted(() => jsm.streams.add({ name: stream, subjects: [subject], num_replicas: 3 }));
  const stop = mode === "library" ? await libraryListener(cluster, stream, subject, group, record) : await rawListener(nc, jsm, stream, subject, group, record);
  const consumer = mode === "library" ? `${group}__${subject.replaceAll(".", "_")}` : group;

  const js = jetstream(nc);
  let published = 0;
  let publishing = true;
  let firstFailure: number | undefined;
  let lastFailure: number | undefined;
  const publisher = (async () => {
    while (publishing) {
      const id = published;
      for (;;) {
        try {
          await js.publish(subject, JSON.stringify({ id }), { msgID: `${stream}-${id}` });
          break;
        } catch {
          // an election: retry with the same msgId
          firstFailure ??= performance.now();
          lastFailure = performance.now();
        }
      }
      published++;
      await new Promise((resolve) => setTimeout(resolve, 1000 / RATE_PER_S));
    }
  })();
  await waitUntil(() => seen.size >= RATE_PER_S, 30_000);
  const steppedAt = performance.now();
  let killed: string | undefined;
  if (EVENT === "kill") {
    killed = (await jsm.consumers.info(stream, consumer)).cluster?.leader;
    await cluster.node(killed!).kill();
  } else {
    await nc.request(`$JS.API.CONSUMER.LEADER.STEPDOWN.${stream}.${consumer}`, undefined, { timeout: 5_000 });
  }
  await waitUntil(() => arrivals.some((at) => at > steppedAt + 2_000) || performance.now() - steppedAt > AFTER_STEPDOWN_MS, AFTER_STEPDOWN_MS + 5_000);
  // Keep publishing a little after the resume, then stop and let everything arrive.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  publishing = false;
  await publisher;
  await waitUntil(() => seen.size >= published, 60_000).catch(() => undefined);
  await stop();
  if (killed) {
    await cluster.node(killed).restart();
    await cluster.waitReady();
  }
  await untilAccepted(() => jsm.streams.delete(stream));
  const window = arrivals.filter((at) => at >= steppedAt - 1_000);
  let gapMs = 0;
  let previous = steppedAt;
  for (const at of window) {
    if (at >= steppedAt) gapMs = Math.max(gapMs, at - previous);
    previous = Math.max(previous, at);
  }
  const publishOutageMs = firstFailure === undefined ? 0 : Math.round(lastFailure! - firstFailure);
  return { mode, gapMs: Math.round(gapMs), publishOutageMs, published, delivered: seen.size };
}

async function libraryListener(cluster: NatsCluster, stream: string, subject: string, group: string, record: (id: number) => void): Promise<() => Promise<void>> {
  class StallListener {
    handle(data: { id: number }): void {
      record(data.id);
    }
  }
  Listen(subject, group, { concurrency: 100 })(StallListener.prototype, "handle", Object.getOwnPropertyDescriptor(StallListener.prototype, "handle")!);
  const bus = new EventBus();
  await bus.connect({ transport: "jetstream", servers: cluster.urls, streams: [{ name: stream, subjects: [subject], replicas: 3 }], env: {}, metrics: false, logger: createConsoleLogger("warn", "bench") });
  await bus.listen([StallListener]);
  return async () => {
    await bus.close();
  };
}

async function rawListener(
  nc: NatsConnection,
  jsm: JetStreamManager,
  stream: string,
  subject: string,
  group: string,
  record: (id: number) => void,
): Promise<() => Promise<void>> {
  await jsm.consumers.add(stream, { durable_name: group, ack_policy: AckPolicy.Explicit, filter_subject: subject });
  const consumer = await jetstream(nc).consumers.get(stream, group);
  const messages = await consumer.consume({ max_messages: 100 });
  const done = (async () => {
    for await (const msg of messages) {
      record(msg.json<{ id: number }>().id);
      msg.ack();
    }
  })();
  return async () => {
    await messages.close();
    await done;
  };
}

/** Right after a start or a restart the cluster may not place an R3 stream yet ("no suitable peers"): try for a while. */
async function untilAccepted(call: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await call();
      return;
    } catch (err) {
      if (attempt >= 60) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

await main();
