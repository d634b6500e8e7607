// What provisioning does to an existing stream: fields left out stay, changes that keep more
// are made, changes that weaken it are refused unless allowWeakening (the rules the README lists),
// feature flags nats-server cannot turn off are never turned off.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RetentionPolicy, StorageType, type StreamConfig } from "@nats-io/jetstream";
import { withScheduleSubjects } from "../../src/transport/jetstream/schedule-subjects.js";
import { planStreamUpdate } from "../../src/transport/jetstream/stream-plan.js";

const NS = 1_000_000;
const existing = {
  name: "ORDERS",
  subjects: ["order.>", "legacy.>"],
  num_replicas: 3,
  max_age: 3_600_000 * NS,
  max_bytes: -1,
  max_msgs: 1_000,
  duplicate_window: 120_000 * NS,
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
} as StreamConfig;

test("a configuration that names only the stream and some of its subjects changes nothing", () => {
  const plan = planStreamUpdate({ name: "ORDERS", subjects: ["order.>"] }, existing);
  assert.deepEqual({ changes: plan.changes, refused: plan.refused }, { changes: [], refused: ["subjects: [\"order.>\",\"legacy.>\"] -> [\"order.>\"]"] });
  assert.deepEqual(plan.config.subjects, ["order.>", "legacy.>"], "subjects other clients rely on stay");
  assert.equal(plan.config.num_replicas, 3);
});

test("changes that keep more are made: more replicas, a lifted max age, a higher limit, a new subject", () => {
  const plan = planStreamUpdate({ name: "ORDERS", subjects: ["order.>", "legacy.>", "refund.>"], replicas: 5, maxAgeMs: 0, maxMsgs: 5_000 }, existing);
  assert.deepEqual(plan.refused, []);
  assert.deepEqual(plan.weakens, []);
  assert.equal(plan.config.num_replicas, 5);
  assert.equal(plan.config.max_age, 0);
  assert.equal(plan.config.max_msgs, 5_000);
  assert.deepEqual(plan.config.subjects, ["order.>", "legacy.>", "refund.>"]);
});

test("changes that weaken the stream are refused and reported; the server's values stay", () => {
  const plan = planStreamUpdate(
    { name: "ORDERS", subjects: ["order.>", "legacy.>"], replicas: 1, maxAgeMs: 60_000, maxBytes: 1_000_000, maxMsgs: 10, duplicateWindowMs: 1_000, storage: "memory", retention: "workqueue" },
    existing,
  );
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(plan.refused, [
    "num_replicas: 3 -> 1",
    `max_age: ${3_600_000 * NS} -> ${60_000 * NS}`,
    "max_bytes: -1 -> 1000000",
    "max_msgs: 1000 -> 10",
    `duplicate_window: ${120_000 * NS} -> ${1_000 * NS}`,
    'storage: "file" -> "memory"',
    'retention: "limits" -> "workqueue"',
  ]);
  assert.deepEqual(plan.config, existing);
});

test("allowWeakening: true makes them, each marked as weakening", () => {
  const plan = planStreamUpdate({ name: "ORDERS", subjects: ["order.>"], replicas: 1, allowWeakening: true }, existing);
  assert.deepEqual(plan.refused, []);
  assert.deepEqual(plan.weakens, ["num_replicas: 3 -> 1", 'subjects: ["order.>","legacy.>"] -> ["order.>"]']);
  assert.deepEqual(plan.changes, plan.weakens);
  assert.equal(plan.config.num_replicas, 1);
  assert.deepEqual(plan.config.subjects, ["order.>"]);
});

test("allowSchedules / allowMessageTtl: turned on (with the schedule subjects) on a stream without them; never turned off, allowWeakening or not", () => {
  const on = planStreamUpdate(withScheduleSubjects({ name: "ORDERS", subjects: ["order.>", "legacy.>"], allowSchedules: true, allowMessageTtl: true }), existing);
  assert.deepEqual(on.changes, [
    "allow_msg_ttl: false -> true",
    "allow_msg_schedules: false -> true",
    `subjects: ["order.>","legacy.>"] -> ["order.>","legacy.>","_EB_SCHEDULE.ORDERS.>"]`,
  ]);
  assert.deepEqual([on.weakens, on.refused, on.impossible], [[], [], []]);
  const flagged = { ...existing, allow_msg_ttl: true, allow_msg_schedules: true, subjects: on.config.subjects } as StreamConfig;
  assert.deepEqual(planStreamUpdate({ name: "ORDERS", subjects: ["order.>"] }, flagged).impossible, [], "left out: kept as they are");
  const off = planStreamUpdate({ name: "ORDERS", subjects: on.config.subjects, allowSchedules: false, allowMessageTtl: false, allowWeakening: true }, flagged);
  assert.deepEqual(off.impossible, ["allow_msg_ttl: true -> false", "allow_msg_schedules: true -> false"]);
  assert.deepEqual(off.changes, []);
  assert.equal(off.config.allow_msg_schedules, true);
  assert.deepEqual(planStreamUpdate({ name: "ORDERS", subjects: ["order.>"], allowSchedules: false }, existing).changes, [], "false on a stream without it (or a server that predates the field) is no change");
});

test("a stream whose own subjects already cover its schedule subjects gets none added", () => {
  assert.deepEqual(withScheduleSubjects({ name: "ALL", subjects: [">"], allowSchedules: true }).subjects, [">"]);
  assert.deepEqual(withScheduleSubjects({ name: "ALL", subjects: ["a.>"] }).subjects, ["a.>"], "only with allowSchedules");
});
