// Core publishes reach nats.js in batches (src/transport/publish-batch.ts): held until the
// current turn's microtasks have run, so awaited publishes leave in one socket write. These
// tests hold it to what a caller relies on, over a real nats-server: the order on the wire is
// the order of the calls, also across requests, replies and subscriptions; nothing held is
// lost at close or drain; a loop far larger than one batch arrives whole and in order.
import "reflect-metadata";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { container, injectable } from "tsyringe";
import { EventBus, EventPublisher, Listen, type MessageContext } from "../../src/index.js";
import { Collector, uniqueName } from "../helpers/unique.js";
import { serverWithRawClient, silentLogger } from "./support.js";

const WAIT_MS = 10_000;
const run = uniqueName("order");
const decoder = new TextDecoder();

const server = serverWithRawClient("publish-order");

/** A bus of its own, with a child container in which listeners get it (and an EventPublisher on it) injected. */
async function connectedBus(): Promise<EventBus> {
  const bus = new EventBus();
  server.keep(bus);
  const scope = container.createChildContainer();
  scope.registerInstance(EventBus, bus);
  await bus.connect({ transport: "nats", servers: [server.nats.url], logger: silentLogger, env: {}, cwd: server.cwd, container: scope });
  return bus;
}

/** Everything on `subjects`, in arrival order, as "subject payload" (one raw subscription per subject, one connection: one order). */
async function wireLog(...subjects: string[]): Promise<Collector<string>> {
  const collector = new Collector<string>();
  for (const subject of subjects) {
    server.raw.subscribe(subject, { callback: (err, msg) => void (err || collector.push(`${msg.subject.split(".").at(-1)} ${decoder.decode(msg.data)}`)) });
  }
  await server.raw.flush();
  return collector;
}

@injectable()
class PublishThenReply {
  constructor(private readonly events: EventPublisher) {}

  @Listen(`svc.${run}.publish-then-reply`)
  async handle(data: { n: number }, ctx: MessageContext): Promise<void> {
    await this.events.publish(`ord.${run}.fromHandler`, { n: data.n });
    ctx.reply({ n: data.n });
  }
}

const lateListened = new Collector<number>();

@injectable()
class LateListener {
  @Listen(`ord.${run}.late`)
  handle(n: number): void {
    lateListened.push(n);
  }
}

describe("core publish: batching keeps the order and loses nothing", () => {
  test("a publish made before a listener subscribes does not reach it (as without batching: core NATS keeps nothing)", async () => {
    const bus = await connectedBus();
    void bus.publish(`ord.${run}.late`, 1);
    await bus.listen([LateListener]);
    await bus.publish(`ord.${run}.late`, 2);
    await lateListened.waitForCount(1, WAIT_MS, "the message published after listen()");
    // A round trip on the listener's connection: anything still on its way would have arrived.
    await bus.request(`svc.${run}.nobody`, 0, { timeout: 200 }).catch(() => undefined);
    assert.deepEqual(lateListened.items, [2]);
  });

  test("publishes not awaited, then a request: the events are on the wire before the request", async () => {
    const bus = await connectedBus();
    const wire = await wireLog(`ord.${run}.a`, `svc.${run}.ask`);
    server.raw.subscribe(`svc.${run}.ask`, {
      callback: (_err, msg) => {
        msg.respond(new TextEncoder().encode('"ok"'));
      },
    });
    await server.raw.flush();
    void bus.publish(`ord.${run}.a`, 1);
    void bus.publish(`ord.${run}.a`, 2);
    assert.equal(await bus.request(`svc.${run}.ask`, 3, { timeout: WAIT_MS }), "ok");
    assert.deepEqual(await wire.waitForCount(3, WAIT_MS, "two events and the request"), ["a 1", "a 2", "ask 3"]);
  });

  test("a handler that publishes, then replies: the event is on the wire before the reply reaches the requester", async () => {
    const bus = await connectedBus();
    await bus.listen([PublishThenReply]);
    const requester = await connectedBus();
    // The reply goes to the requester's inbox: a raw subscriber on every inbox sees it too, and one
    // subscriber sees one connection's messages in the order that connection sent them.
    const wire = await wireLog(`ord.${run}.fromHandler`, "_INBOX.>");
    const reply = await requester.request<{ n: number }>(`svc.${run}.publish-then-reply`, { n: 7 }, { timeout: WAIT_MS });
    assert.deepEqual(reply, { n: 7 });
    const [event, answer] = await wire.waitForCount(2, WAIT_MS, "the handler's event and its reply");
    assert.equal(event, 'fromHandler {"n":7}', `the event first, then the reply; got ${JSON.stringify(wire.items)}`);
    assert.match(answer!, /^\S+ \{"n":7\}$/);
  });

  for (const end of ["close", "drain"] as const) {
    test(`publishes not awaited, then ${end}(): every one is delivered`, async () => {
      const bus = await connectedBus();
      const wire = await wireLog(`ord.${run}.${end}`);
      for (let n = 1; n <= 50; n++) void bus.publish(`ord.${run}.${end}`, n);
      await bus[end]();
      const got = await wire.waitForCount(50, WAIT_MS, `the 50 events published just before ${end}()`);
      assert.deepEqual(got, Array.from({ length: 50 }, (_, index) => `${end} ${index + 1}`));
    });
  }

  test("publishAll of 5,000 over core NATS: every one arrives, in order; a bad item fails the call naming its index", async () => {
    const bus = await connectedBus();
    const wire = await wireLog(`ord.${run}.bulk`);
    const receipts = await bus.publishAll(Array.from({ length: 5_000 }, (_, n) => ({ subject: `ord.${run}.bulk`, data: n })));
    assert.equal(receipts.length, 5_000);
    assert.ok(receipts.every((receipt) => receipt.duplicate === false && receipt.stream === undefined), "core NATS stores nothing");
    const got = await wire.waitForCount(5_000, WAIT_MS, "the 5,000 events of publishAll");
    assert.deepEqual(got, Array.from({ length: 5_000 }, (_, index) => `bulk ${index}`));
    await assert.rejects(
      bus.publishAll([
        { subject: `ord.${run}.bulk`, data: "fine" },
        { subject: `ord.${run}.bulk`, data: "x".repeat(2 * 1024 * 1024) },
      ]),
      /publishAll: message #1 to "ord\..*\.bulk" failed: .*max_payload/,
    );
  });

  test("5,000 awaited publishes in one chain of microtasks (several batches) arrive whole and in order", async () => {
    const bus = await connectedBus();
    const wire = await wireLog(`ord.${run}.loop`);
    for (let n = 0; n < 5_000; n++) await bus.publish(`ord.${run}.loop`, n);
    const got = await wire.waitForCount(5_000, WAIT_MS, "the 5,000 events");
    assert.deepEqual(got, Array.from({ length: 5_000 }, (_, index) => `loop ${index}`));
  });
});
