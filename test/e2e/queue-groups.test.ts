// Queue groups across real processes: two register-listeners processes share
// queue group A (each message to exactly one of them), while group B (in one of
// them) gets every message independently.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { EventBus } from "express-nats-events";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { ProcessGroup, connectTestBus, fixture, type TestProcess } from "../helpers/processes.js";
import { uniqueName, waitFor } from "../helpers/unique.js";

const MESSAGES = 1_000;
const group = new ProcessGroup();
let nats: NatsServer | undefined;
let bus: EventBus | undefined;

before(async () => {
  nats = await startNatsServer({ jetstream: false });
});

after(async () => {
  await bus?.close();
  await group.killAll();
  await nats?.stop();
});

const handled = (process_: TestProcess, groupName: "A" | "B") => process_.events("handled").filter((line) => line.group === groupName);

test(`${MESSAGES} messages: group A split across two processes exactly once, group B gets all`, async (t) => {
  const subject = `e2e.queue.${uniqueName("orders")}`;
  const ping = `e2e.ping.${uniqueName("ping")}`;
  const env = {
    NATS_URL: nats!.url,
    E2E_QUEUE_SUBJECT: subject,
    E2E_GROUP_A: uniqueName("group-a"),
    E2E_GROUP_B: uniqueName("group-b"),
    E2E_PING_SUBJECT: ping,
  };
  const [first, second] = await Promise.all([
    group.listeners([fixture("queue-a.listener.js"), fixture("queue-b.listener.js"), fixture("ping.listener.js")], { name: "listener-1 (A+B)", env }),
    group.listeners([fixture("queue-a.listener.js"), fixture("ping.listener.js")], { name: "listener-2 (A)", env }),
  ]);

  bus = await connectTestBus(nats!.url);
  const started = performance.now();
  for (let id = 0; id < MESSAGES; id++) await bus.publish(subject, { id });

  const countA = () => handled(first, "A").length + handled(second, "A").length;
  await waitFor(() => countA() >= MESSAGES && handled(first, "B").length >= MESSAGES, 20_000, `${MESSAGES} group-A and ${MESSAGES} group-B lines`).catch((err: Error) => {
    throw new Error(`${err.message} (A: ${countA()}, B: ${handled(first, "B").length})\n${group.output()}`);
  });
  const elapsedMs = performance.now() - started;

  // Barrier: a ping published after the burst on the same connection reaches each
  // process after its whole share; once both answered, no duplicate can still come.
  await bus.publish(ping, { seq: 1 });
  await Promise.all([first.waitForEvents("pong", 1, 10_000), second.waitForEvents("pong", 1, 10_000)]);

  const a1 = handled(first, "A").map((line) => line.id as number);
  const a2 = handled(second, "A").map((line) => line.id as number);
  const b = handled(first, "B").map((line) => line.id as number);
  const counts = new Map<number, number>();
  for (const id of [...a1, ...a2]) counts.set(id, (counts.get(id) ?? 0) + 1);
  const duplicates = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
  const missing = Array.from({ length: MESSAGES }, (_, id) => id).filter((id) => !counts.has(id));
  assert.deepEqual(duplicates, [], "ids handled more than once in group A");
  assert.deepEqual(missing, [], "ids never handled in group A");
  assert.equal(a1.length + a2.length, MESSAGES);
  assert.ok(a1.length > 0 && a2.length > 0, `both group-A members must get a share: ${a1.length} / ${a2.length}`);
  assert.deepEqual([...b].sort((x, y) => x - y), Array.from({ length: MESSAGES }, (_, id) => id), "group B gets every message exactly once");
  assert.equal(handled(second, "B").length, 0, "listener-2 is not in group B");

  t.diagnostic(
    `group A split: listener-1 (pid ${first.pid}) ${a1.length}, listener-2 (pid ${second.pid}) ${a2.length}; ` +
      `group B (listener-1): ${b.length}; all ${MESSAGES} handled ${Math.round(elapsedMs)} ms after the first publish`,
  );
});
