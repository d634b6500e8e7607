// What provisioning does to an existing stream: fields left out stay, changes that keep more
// are made, changes that weaken it are refused unless allowWeakening (the rules the README lists).
import assert from "node:assert/strict";
import { test } from "node:test";
import { RetentionPolicy, StorageType, type StreamConfig } from "@nats-io/jetstream";
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
