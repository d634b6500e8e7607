/**
 * An experiment, not a test: what do publishing callers see while the leader of their R3
 * stream changes on a 3-node cluster? Measures, per run, the longest single publish call,
 * the longest stretch with no acknowledged publish at all, the calls that failed, and
 * whether every acknowledged message is stored exactly once.
 *
 *   npm run build && node dist/bench/election.js [options]
 *     --trigger kill,stepdown   SIGKILL of the stream leader, or $JS.API.STREAM.LEADER.STEPDOWN (default both)
 *     --api publish,publishAll  8 callers awaiting publish() each, or one caller of publishAll batches (default both)
 *     --runs N                  runs per combination (default 3)
 *     --retry-ms N              the publishRetryMs option (default: leave the bus's default)
 *
 * It uses the test kit's cluster launcher (test/helpers/nats-cluster.ts): the one place
 * that knows how to start three routed nodes.
 */
import { parseArgs } from "node:util";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { EventBus, isEventBusError } from "../src/index.js";
import { startNatsCluster } from "../test/helpers/nats-cluster.js";
import { pollUntil } from "../test/helpers/unique.js";

const { values } = parseArgs({
  options: {
    trigger: { type: "string", default: "kill,stepdown" },
    api: { type: "string", default: "publish,publishAll" },
    runs: { type: "string", default: "3" },
    "retry-ms": { type: "string" },
    callers: { type: "string", default: "8" },
    "after-ms": { type: "string", default: "12000" },
  },
});
const triggers = values.trigger.split(",") as Array<"kill" | "stepdown">;
const apis = values.api.split(",") as Array<"publish" | "publishAll">;
const runs = Number(values.runs);
const callers = Number(values.callers);
const afterMs = Number(values["after-ms"]);
const BEFORE_MS = 2_000;
const BATCH = 200;

interface Call {
  readonly started: number;
  readonly ended: number;
  readonly keys: readonly string[];
  readonly error?: string;
}

interface RunResult {
  trigger: string;
  api: string;
  calls: number;
  failedCalls: number;
  failures: Record<string, number>;
  longestCallMs: number;
  longestGapWithoutAckMs: number;
  /** From the first failed call to the last one that ended (0: none failed). */
  failingForMs: number;
  acknowledged: number;
  storedTwice: number;
  acknowledgedMissing: number;
  failedButStored: number;
}

const cluster = await startNatsCluster();
const admin = await connect({ servers: cluster.urls, name: "election-bench-admin" });
const jsm = await jetstreamManager(admin);
const results: RunResult[] = [];
try {
  for (const trigger of triggers) {
    for (const api of apis) {
      for (let run = 0; run < runs; run++) {
        const result = await oneRun(`ELECTION_${trigger}_${api}_${run}`.toUpperCase(), trigger, api);
        results.push(result);
        process.stdout.write(`${JSON.stringify(result)}\n`);
      }
    }
  }
} finally {
  await admin.close();
  await cluster.stop();
}
process.stdout.write(`\n${summary(results)}`);

async function oneRun(stream: string, trigger: "kill" | "stepdown", api: "publish" | "publishAll"): Promise<RunResult> {
  const subject = `${stream.toLowerCase()}.event`;
  const bus = new EventBus();
  await bus.connect({
    transport: "jetstream",
    servers: cluster.urls,
    streams: [{ name: stream, subjects: [`${stream.toLowerCase()}.>`], replicas: 3 }],
    logLevel: "silent",
    metrics: false,
    ...(values["retry-ms"] === undefined ? {} : ({ publishRetryMs: Number(values["retry-ms"]) } as object)),
  });
  const leader = await streamLeader(jsm, stream);
  const calls: Call[] = [];
  let stop = false;
  const loops =
    api === "publish"
      ? Array.from({ length: callers }, (_, caller) => publishLoop(bus, subject, `c${caller}`, calls, () => stop))
      : [publishAllLoop(bus, subject, calls, () => stop)];
  await new Promise((resolve) => setTimeout(resolve, BEFORE_MS));
  const triggeredAt = Date.now();
  if (trigger === "kill") await cluster.node(leader).kill();
  else await admin.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  stop = true;
  await Promise.all(loops);
  await bus.close();

  if (trigger === "kill") {
    await cluster.node(leader).restart();
    await pollUntil(async () => ((await jsm.streams.info(stream)).cluster?.replicas?.every((replica) => replica.current) ? true : undefined), 60_000, "every replica current again");
  }
  const stored = await storedKeys(admin, stream);
  return measure(trigger, api, calls, stored, triggeredAt);
}

async function publishLoop(bus: EventBus, subject: string, caller: string, calls: Call[], stopped: () => boolean): Promise<void> {
  for (let i = 0; !stopped(); i++) {
    const key = `${caller}-${i}`;
    const started = Date.now();
    try {
      await bus.publish(subject, { key });
      calls.push({ started, ended: Date.now(), keys: [key] });
    } catch (err) {
      calls.push({ started, ended: Date.now(), keys: [key], error: isEventBusError(err) ? err.code : String(err) });
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function publishAllLoop(bus: EventBus, subject: string, calls: Call[], stopped: () => boolean): Promise<void> {
  for (let batch = 0; !stopped(); batch++) {
    const keys = Array.from({ length: BATCH }, (_, i) => `b${batch}-${i}`);
    const started = Date.now();
    try {
      await bus.publishAll(keys.map((key) => ({ subject, data: { key } })), { maxInFlight: 64 });
      calls.push({ started, ended: Date.now(), keys });
    } catch (err) {
      // Which messages of a failed batch were stored is unknown to the caller: count none as acknowledged.
      calls.push({ started, ended: Date.now(), keys, error: isEventBusError(err) ? err.code : String(err) });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function streamLeader(manager: JetStreamManager, stream: string): Promise<string> {
  return pollUntil(async () => (await manager.streams.info(stream)).cluster?.leader, 30_000, `a leader for ${stream}`);
}

/** Every stored message's key, with how often it is stored (read with an ordered consumer). */
async function storedKeys(nc: NatsConnection, stream: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const last = (await jsm.streams.info(stream)).state.last_seq;
  if (last === 0) return counts;
  const consumer = await jetstream(nc).consumers.get(stream);
  const messages = await consumer.consume();
  for await (const message of messages) {
    const { key } = message.json<{ key: string }>();
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (message.seq >= last) break;
  }
  return counts;
}

function measure(trigger: string, api: string, calls: readonly Call[], stored: Map<string, number>, triggeredAt: number): RunResult {
  const failures: Record<string, number> = {};
  for (const call of calls) if (call.error) failures[call.error] = (failures[call.error] ?? 0) + 1;
  const acknowledged = calls.filter((call) => !call.error).flatMap((call) => call.keys);
  const failedKeys = calls.filter((call) => call.error).flatMap((call) => call.keys);
  const ackTimes = calls.filter((call) => !call.error && call.ended >= triggeredAt - 1_000).map((call) => call.ended).sort((a, b) => a - b);
  const failedEnds = calls.filter((call) => call.error).map((call) => call.ended);
  let gap = 0;
  for (let i = 1; i < ackTimes.length; i++) gap = Math.max(gap, ackTimes[i]! - ackTimes[i - 1]!);
  return {
    trigger,
    api,
    calls: calls.length,
    failedCalls: calls.filter((call) => call.error).length,
    failures,
    longestCallMs: Math.max(...calls.map((call) => call.ended - call.started)),
    longestGapWithoutAckMs: gap,
    failingForMs: failedEnds.length === 0 ? 0 : Math.max(...failedEnds) - Math.min(...failedEnds),
    acknowledged: acknowledged.length,
    storedTwice: [...stored.values()].filter((count) => count > 1).length,
    acknowledgedMissing: acknowledged.filter((key) => !stored.has(key)).length,
    failedButStored: failedKeys.filter((key) => stored.has(key)).length,
  };
}

function summary(all: readonly RunResult[]): string {
  const lines = ["trigger   api         runs  failed calls (per run)  failing for ms (per run)  longest call ms (median, max)  gap without ack ms (median, max)  stored twice  ack'd missing"];
  for (const trigger of triggers) {
    for (const api of apis) {
      const group = all.filter((result) => result.trigger === trigger && result.api === api);
      if (group.length === 0) continue;
      const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;
      const longest = group.map((result) => result.longestCallMs);
      const gaps = group.map((result) => result.longestGapWithoutAckMs);
      lines.push(
        [
          trigger.padEnd(9),
          api.padEnd(11),
          String(group.length).padEnd(5),
          group.map((result) => result.failedCalls).join(",").padEnd(23),
          group.map((result) => result.failingForMs).join(",").padEnd(25),
          `${median(longest)}, ${Math.max(...longest)}`.padEnd(30),
          `${median(gaps)}, ${Math.max(...gaps)}`.padEnd(33),
          String(group.reduce((sum, result) => sum + result.storedTwice, 0)).padEnd(13),
          String(group.reduce((sum, result) => sum + result.acknowledgedMissing, 0)),
        ].join(" "),
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
