// A JetStream listener whose consumer holds pending messages but delivers none for longer than
// consumerStallMs is reported stalled by bus.health() (not ready), logged once, and ready again
// once messages flow. Made real here: the consumer's max_ack_pending (set to 1 on the server)
// is taken by a handler that does not finish, while more messages wait.
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { injectable } from "tsyringe";
import { Listen, type LifecycleEvent } from "../../src/index.js";
import { Collector, pollUntil, uniqueName } from "../helpers/unique.js";
import { useJetStreamServer } from "./jetstream-server.js";

const STREAM = "STALL";
const subject = `stall.${uniqueName("orders")}`;
let release: () => void = () => undefined;
const held = new Promise<void>((resolve) => (release = resolve));

@injectable()
class HoldingListener {
  static readonly handled = new Collector<number>();
  @Listen(subject, "holders", { concurrency: 5 })
  async handle(data: { id: number }): Promise<void> {
    if (data.id === 0) await held;
    HoldingListener.handled.push(data.id);
  }
}

const server = useJetStreamServer("jetstream-stall");

// Free a handler that a failing test left waiting.
after(() => release());

test("pending messages and none delivered for consumerStallMs: health says stalled, once; flowing again: ready", { timeout: 60_000 }, async () => {
  const events: LifecycleEvent[] = [];
  const bus = await server.bus({
    streams: [{ name: STREAM, subjects: ["stall.>"], storage: "memory" }],
    consumerStallMs: 1_000,
    observers: [{ lifecycle: (event) => void (event.type.startsWith("consumer-") && events.push(event)) }],
  });
  await bus.listen([HoldingListener]);
  const jsm = server.jsm;
  const consumer = `holders__${subject.replaceAll(".", "_")}`;
  await jsm.consumers.update(STREAM, consumer, { max_ack_pending: 1 });

  for (let id = 0; id < 4; id++) await bus.publish(subject, { id });
  const stalled = await pollUntil(async () => bus.health().listeners.find((listener) => listener.stalled), 30_000, "the listener reported stalled");
  assert.equal(stalled.listener, "HoldingListener.handle");
  assert.equal(bus.health().ready, false);
  const reported = events.filter((event) => event.type === "consumer-stalled");
  assert.equal(reported.length, 1, "reported once");
  assert.ok(reported[0]!.type === "consumer-stalled" && reported[0]!.event.reason === "no-progress");
  assert.match(reported[0]!.event.detail, /3 messages pending, none delivered/);

  release();
  await HoldingListener.handled.waitForCount(4, 30_000, "every message once the slot is free");
  await pollUntil(async () => (bus.health().ready ? true : undefined), 30_000, "ready again");
  assert.deepEqual(events.map((event) => event.type), ["consumer-stalled", "consumer-recovered"]);
});
