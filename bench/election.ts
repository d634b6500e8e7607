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
 *     --retry-ms N              the publishRetryMs option (default: the bus's default)
 *     --publish-timeout-ms N    the publishTimeoutMs option (default: the bus's default)
 *
 * It uses the test kit's cluster launcher and publish load (test/helpers/): the one place
 * that knows how to start three routed nodes, and the same callers the cluster tests run.
 */
import { parseArgs } from "node:util";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { EventBus } from "../src/index.js";
import { startNatsCluster } from "../test/helpers/nats-cluster.js";
import { startPublishLoad, storedKeyCounts, type PublishCall } from "../test/helpers/publish-load.js";
import { pollUntil } from "../test/helpers/unique.js";

const { values } = parseArgs({
  options: {
    trigger: { type: "string", default: "kill,stepdown" },
    api: { type: "string", default: "publish,publishAll" },
    runs: { type: "string", default: "3" },
    "retry-ms": { type: "string" },
    "publish-timeout-ms": { type: "string" },
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
    ...(values["publish-timeout-ms"] === undefined ? {} : { publishTimeoutMs: Number(values["publish-timeout-ms"]) }),
  });
  const leader = await streamLeader(jsm, stream);
  const load = startPublishLoad(bus, subject, api === "publish" ? { callers, paceMs: 5 } : { callers: 0, batch: BATCH, paceMs: 20 });
  await new Promise((resolve) => setTimeout(resolve, BEFORE_MS));
  const triggeredAt = Date.now();
  if (trigger === "kill") await cluster.node(leader).kill();
  else await admin.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  const calls = await load.stop();
  await bus.close();

  if (trigger === "kill") {
    await cluster.node(leader).restart();
    await pollUntil(async () => ((await jsm.streams.info(stream)).cluster?.replicas?.every((replica) => replica.current) ? true : undefined), 60_000, "every replica current again");
  }
  const stored = await pollUntil(() => storedKeyCounts(admin, stream), 30_000, `the contents of ${stream}`);
  return measure(trigger, api, calls, stored, triggeredAt);
}

async function streamLeader(manager: JetStreamManager, stream: string): Promise<string> {
  return pollUntil(async () => (await manager.streams.info(stream)).cluster?.leader, 30_000, `a leader for ${stream}`);
}

function measure(trigger: string, api: string, calls: readonly PublishCall[], stored: Map<string, number>, triggeredAt: number): RunResult {
  const failures: Record<string, number> = {};
  for (const call of calls) {
    const code = call.error?.split(":")[0];
    if (code) failures[code] = (failures[code] ?? 0) + 1;
  }
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
