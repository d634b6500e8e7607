// Exclusive listeners on a real 3-node cluster (R3 stream), with real register-listeners
// processes while events are published steadily: SIGKILL of the active process → another
// process of the group takes over, in order, with nothing lost; SIGTERM → handed over at once;
// a stepdown of the consumer's leader → delivery goes on, in order.
// The takeover times are measured and printed (the README quotes them), not asserted, apart
// from a generous bound that only catches a takeover that never comes.
// (Named so that it does not run beside consumer-liveness.test.ts: beside it, that file's stepdown
// test failed 3 of 4 full runs on the 2-core machine (a 29.5 s delivery gap, once 599 distinct of
// 600 handled), as if a message or an ack lost to the leader change came back after its 30 s
// ackWait; it passed in every run without this file next to it.)
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { EventBus, StreamOptions } from "express-nats-events";
import { createListenerProject } from "../helpers/listener-project.js";
import { startNatsCluster, type NatsCluster } from "../helpers/nats-cluster.js";
import { ProcessGroup, connectTestBus, fixture, type TestProcess } from "../helpers/processes.js";
import { publishSteadily } from "../helpers/publish-stored.js";
import { serverWith } from "../helpers/server-versions.js";
import { uniqueName, waitFor } from "../helpers/unique.js";

const STREAM: StreamOptions = { name: "EXCLUSIVE", subjects: ["exclusive.>"], replicas: 3 };
const EXCLUSIVE_TIMEOUT_MS = 5_000;
const ACK_WAIT_MS = 5_000;
/** Generous: the takeover is due after the exclusive timeout; this only fails a takeover that never comes. */
const TAKEOVER_BOUND_MS = EXCLUSIVE_TIMEOUT_MS + 30_000;

const group = new ProcessGroup();
let cluster: NatsCluster | undefined;
let dir: string | undefined;
let bus: EventBus | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
  await bus?.close();
  await group.killAll();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ids = (process_: TestProcess, event: "started" | "handled") => process_.events(event).map((line) => line.id as number);
/** Every process's lines of `event`, in the order they happened (the fixture stamps each with the time). */
const timeline = (members: readonly TestProcess[], event: "started" | "handled") =>
  members.flatMap((member) => member.events(event).map((line) => ({ id: line.id as number, at: line.at as number, member }))).sort((a, b) => a.at - b.at);

/** The process that has handled messages since `from` (its count of "handled" lines then), or undefined while none did. */
function activeOf(members: readonly TestProcess[], from: Map<TestProcess, number>): TestProcess | undefined {
  return members.find((member) => member.isRunning && ids(member, "handled").length > (from.get(member) ?? 0));
}

test("3-node cluster: SIGKILL of the active exclusive process → another takes over in order, nothing lost; SIGTERM → handed over at once; a consumer leader stepdown → delivery goes on in order (times measured)", { timeout: 240_000 }, async (t) => {
  const server = serverWith("exclusive listeners");
  if (typeof server === "string") return t.skip(server);
  t.diagnostic(`3 × nats-server ${server.version} (${server.binary})`);
  cluster = await startNatsCluster({ binary: server.binary });
  dir = await createListenerProject("exclusive-cluster", { transport: "jetstream", streams: [STREAM], listeners: [fixture("exclusive.listener.js")], ackWaitMs: ACK_WAIT_MS, logLevel: "warn" });
  bus = await connectTestBus(cluster.urls[0]!, { servers: cluster.urls, transport: "jetstream", streams: [STREAM], metrics: false });
  const subject = `exclusive.${uniqueName("jobs")}`;
  const env = {
    NATS_URL: cluster.urls.join(","),
    E2E_EXCLUSIVE_SUBJECT: subject,
    E2E_EXCLUSIVE_GROUP: uniqueName("exclusive"),
    E2E_EXCLUSIVE_TIMEOUT_MS: String(EXCLUSIVE_TIMEOUT_MS),
    E2E_EXCLUSIVE_WORK_MS: "20",
  };
  const start = (name: string) => group.listeners([], { name, cwd: dir, env, readyTimeoutMs: 60_000 });
  const members = await Promise.all([start("member-1"), start("member-2")]);

  const acknowledged: number[] = [];
  let stopPublishing = false;
  const publishing = publishSteadily(bus, subject, acknowledged, { until: () => stopPublishing, perSecond: 20 });
  const handled = () => new Set(group.processes.flatMap((member) => ids(member, "handled")));
  const noMark = new Map<TestProcess, number>();
  await waitFor(() => handled().size >= 40, 60_000, "40 handled before the kill");
  const active = activeOf(members, noMark)!;
  const standby = members.find((member) => member !== active)!;
  assert.deepEqual(ids(standby, "started"), [], "only one process of the group handled messages");

  await active.kill();
  const killedAt = performance.now();
  await standby.waitForEvents("started", 1, TAKEOVER_BOUND_MS);
  const killTakeoverMs = performance.now() - killedAt;

  // A third process stands by; SIGTERM the active one (a drain): it hands over on its way out.
  const third = await start("member-3");
  const mark = new Map([[standby, ids(standby, "handled").length]]);
  await waitFor(() => ids(standby, "handled").length >= (mark.get(standby) ?? 0) + 20, 30_000, "20 more handled by the process that took over");
  standby.signal("SIGTERM");
  const drainedAt = performance.now();
  await third.waitForEvents("started", 1, TAKEOVER_BOUND_MS);
  const drainHandoverMs = performance.now() - drainedAt;
  assert.deepEqual(await standby.waitForExit(30_000, "a clean exit after SIGTERM"), { code: 0, signal: null }, standby.output());
  await waitFor(() => ids(third, "handled").length >= 20, 30_000, "20 handled by the third process");

  // A fourth process stands by; the consumer's leader steps down under traffic.
  const fourth = await start("member-4");
  const nc = await connect({ servers: cluster.urls, name: "takeover-exclusive-test" });
  cleanups.push(() => nc.close());
  const consumers = (await jetstreamManager(nc)).consumers;
  const name = `${env.E2E_EXCLUSIVE_GROUP}__${subject.replaceAll(".", "_")}`.replace(/[^A-Za-z0-9_-]/g, "_");
  const before = await consumers.info(STREAM.name, name);
  const steppedAt = Date.now();
  await nc.request(`$JS.API.CONSUMER.LEADER.STEPDOWN.${STREAM.name}.${name}`, undefined, { timeout: 5_000 });
  await waitFor(() => timeline([third, fourth], "handled").filter((line) => line.at > steppedAt).length >= 20, 60_000, "20 handled after the stepdown");
  const firstAfter = timeline([third, fourth], "started").find((line) => line.at > steppedAt)!;
  const after = await consumers.info(STREAM.name, name);

  stopPublishing = true;
  await publishing;
  await waitFor(() => acknowledged.every((id) => handled().has(id)), 60_000, `all ${acknowledged.length} published ids handled`).catch((err: Error) => {
    throw new Error(`${err.message}\n${group.output()}`);
  });

  // In order across the two takeovers: the concatenation of what each process handled, in turn,
  // is the published sequence; only the message the killed process had not acknowledged may appear twice.
  const sequence = timeline(group.processes, "handled").map((line) => line.id);
  const repeated = sequence.filter((id, index) => index > 0 && sequence[index - 1]! >= id);
  assert.deepEqual([...new Set(sequence)], acknowledged, `handled in stream order with nothing lost (repeats: ${JSON.stringify(repeated)})`);
  assert.ok(repeated.length <= 1, `at most the killed process's unacknowledged message comes again: ${JSON.stringify(repeated)}`);
  t.diagnostic(
    `takeover after SIGKILL of the active process: ${Math.round(killTakeoverMs)} ms (exclusiveTimeoutMs ${EXCLUSIVE_TIMEOUT_MS}, ackWaitMs ${ACK_WAIT_MS}); ` +
      `after SIGTERM (drain): ${Math.round(drainHandoverMs)} ms; ${acknowledged.length} events published at 20/s, ${sequence.length - new Set(sequence).size} handled twice`,
  );
  t.diagnostic(
    `consumer leader stepdown ${before.cluster?.leader} -> ${after.cluster?.leader}: the next message started ${firstAfter.at - steppedAt} ms later, ` +
      `on ${firstAfter.member === third ? "the same process (the pin held)" : "the standby (the pin moved)"}`,
  );
});
