// The stan transport against a real nats-streaming-server (skipped, with the reason, where
// there is none): interop with the node-nats-streaming tutorial pattern in both directions,
// taking over a tutorial listener's durable queue group, deliver-all-available, redelivery
// after ackWait, dead letters, clean close (no ghost client id), connection errors, and
// the stan+jetstream dual publish of a migration.
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { AckPolicy, DeliverPolicy, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { injectable } from "tsyringe";
import { DeadLetterHeaders, ErrorCodes, EventBus, EventBusError, Listen, type ConnectOptions, type MessageContext } from "../../src/index.js";
import { consumerName } from "../../src/transport/jetstream/provisioning.js";
import { StanTransport } from "../../src/transport/stan/stan-transport.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { rawStan, type RawStan } from "../helpers/stan-raw-client.js";
import { startStreamingServer, streamingClientIds, streamingServerSkipReason, type StreamingServer } from "../helpers/stan-server.js";
import { Collector, uniqueName } from "../helpers/unique.js";
import { removeDir, silentLogger, tempCwd } from "./support.js";

const skip = streamingServerSkipReason();
const WAIT_MS = 10_000;
const decoder = new TextDecoder();

interface Seen {
  readonly data: unknown;
  readonly ctx: MessageContext;
}

function listenerFor(subject: string, queueGroup: string | undefined, handler: (data: unknown, ctx: MessageContext) => unknown) {
  @injectable()
  class StanRecorder {
    @Listen(subject, queueGroup)
    handle(data: unknown, ctx: MessageContext): unknown {
      return handler(data, ctx);
    }
  }
  return StanRecorder;
}

/** Polls an async check (the server's monitoring endpoint) until it holds; fails naming `what`. */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One channel's subscriptions as the streaming server's monitoring endpoint shows them. */
async function channelSubscriptions(server: StreamingServer, channel: string): Promise<Array<{ queue_name?: string; pending_count: number; is_offline?: boolean; last_sent: number }>> {
  const response = await fetch(`${server.monitorUrl}/streaming/channelsz?channel=${encodeURIComponent(channel)}&subs=1`);
  if (response.status === 404) return [];
  const body = (await response.json()) as { subscriptions?: Array<{ queue_name?: string; pending_count: number; is_offline?: boolean; last_sent: number }> };
  return body.subscriptions ?? [];
}

describe("stan transport against a real nats-streaming-server", { skip }, () => {
  let server: StreamingServer;
  let cwd: string | undefined;
  let raw: RawStan;
  let buses: EventBus[] = [];

  const options = (extra: ConnectOptions = {}): ConnectOptions => ({
    transport: "stan",
    servers: [server.url],
    stan: { clusterId: server.clusterId },
    logger: silentLogger,
    env: {},
    cwd,
    ackWaitMs: 1_000,
    retry: { maxDeliver: 3, initialDelayMs: 10, maxDelayMs: 10 },
    ...extra,
  });
  const makeBus = async (extra?: ConnectOptions): Promise<EventBus> => {
    const bus = new EventBus();
    buses.push(bus);
    await bus.connect(options(extra));
    return bus;
  };

  before(async () => {
    server = await startStreamingServer({ clusterId: "integration" });
    cwd = await tempCwd("stan");
    raw = await rawStan(server.url, server.clusterId);
  });
  afterEach(async () => {
    const open = buses;
    buses = [];
    await Promise.all(open.map((bus) => bus.close()));
  });
  after(async () => {
    await raw?.close();
    await server?.stop();
    await removeDir(cwd);
  });

  test("a tutorial Publisher's JSON string reaches @Listen decoded; our publish reaches a tutorial Listener as plain JSON (headers dropped by default)", async () => {
    const channel = uniqueName("ticket-created");
    const seen = new Collector<Seen>();
    const bus = await makeBus();
    await bus.listen([listenerFor(channel, "orders-service", (data, ctx) => seen.push({ data, ctx }))]);
    // What the tutorial's Publisher does: client.publish(subject, JSON.stringify(data), callback).
    await raw.publish(channel, JSON.stringify({ id: "t1", title: "concert", price: 20 }));
    const [first] = await seen.waitForCount(1, WAIT_MS, "the tutorial publisher's event");
    assert.deepEqual(first!.data, { id: "t1", title: "concert", price: 20 });
    assert.equal(first!.ctx.subject, channel);
    assert.equal(first!.ctx.deliveryCount, 1);

    const other = uniqueName("order-created");
    const received = new Collector<string>();
    // The tutorial's Listener: durable queue subscription, manual ack, JSON.parse(msg.getData()).
    await raw.listen(other, "payments-service", (message) => received.push(message.getRawData().toString("utf8")));
    await bus.publish(other, { id: "o1", status: "created" }, { headers: { "X-Correlation-Id": "c-1" } });
    const [text] = await received.waitForCount(1, WAIT_MS, "our event at the tutorial listener");
    assert.deepEqual(JSON.parse(text!), { id: "o1", status: "created" }, "plain JSON, nothing in front of it");
  });

  test("with stan.headers \"frame\" the headers travel between our services", async () => {
    const channel = uniqueName("framed");
    const seen = new Collector<Seen>();
    const bus = await makeBus({ stan: { clusterId: server.clusterId, headers: "frame" } });
    await bus.listen([listenerFor(channel, "framed-group", (data, ctx) => seen.push({ data, ctx }))]);
    await bus.publish(channel, { n: 1 }, { headers: { "X-Trace": "abc" } });
    const [first] = await seen.waitForCount(1, WAIT_MS, "the framed message");
    assert.deepEqual(first!.data, { n: 1 });
    assert.equal(first!.ctx.headers["X-Trace"], "abc");
    assert.equal(decoder.decode(first!.ctx.raw), JSON.stringify({ n: 1 }), "ctx.raw is the payload without the frame");
  });

  test("@Listen takes over a tutorial listener's durable queue group: same group name, it resumes after the last acked message", async () => {
    const channel = uniqueName("ticket-updated");
    const group = uniqueName("tickets-service");
    const legacy = await rawStan(server.url, server.clusterId);
    const handledByLegacy = new Collector<number>();
    await legacy.listen(channel, group, (message) => handledByLegacy.push((JSON.parse(message.getRawData().toString("utf8")) as { n: number }).n));
    for (let n = 1; n <= 3; n++) await raw.publish(channel, JSON.stringify({ n }));
    await handledByLegacy.waitForCount(3, WAIT_MS, "the legacy listener to handle 1..3");
    await until(async () => (await channelSubscriptions(server, channel))[0]?.pending_count === 0, WAIT_MS, "the legacy acks to reach the server");
    await legacy.close(); // the old service stops; its durable queue group stays with its position

    for (let n = 4; n <= 5; n++) await raw.publish(channel, JSON.stringify({ n }));
    const handled = new Collector<number>();
    const bus = await makeBus();
    await bus.listen([listenerFor(channel, group, (data) => handled.push((data as { n: number }).n))]);
    await handled.waitForCount(2, WAIT_MS, "4 and 5 on the new service");
    await bus.publish(channel, { n: 6 });
    await handled.waitForCount(3, WAIT_MS, "6 as well");
    assert.deepEqual(handled.items, [4, 5, 6], "nothing the old service had acked came again");
  });

  test("a new group gets everything stored (deliver all available), each message once, even when it arrives with the subscribe reply", async () => {
    const channel = uniqueName("backlog");
    for (let i = 0; i < 300; i++) await raw.publish(channel, JSON.stringify({ i }));
    const handled = new Collector<number>();
    const counts = new Set<number>();
    // A long ackWait: a message the transport missed would not come back within the test's wait.
    const bus = await makeBus({ ackWaitMs: 60_000 });
    await bus.listen([
      listenerFor(channel, uniqueName("late-group"), (data, ctx) => {
        counts.add(ctx.deliveryCount);
        handled.push((data as { i: number }).i);
      }),
    ]);
    await handled.waitForCount(300, WAIT_MS, "the 300 stored messages");
    assert.deepEqual([...handled.items].sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i));
    assert.deepEqual([...counts], [1], "every message was seen on its first delivery");
    await until(async () => (await channelSubscriptions(server, channel)).every((sub) => sub.pending_count === 0), WAIT_MS, "every message acked");
  });

  test("a failing handler's message is not acked: it comes back after ackWait with deliveryCount 2, and once handled it is acked", async () => {
    const channel = uniqueName("flaky");
    const attempts = new Collector<{ count: number; at: number }>();
    const bus = await makeBus();
    await bus.listen([
      listenerFor(channel, "flaky-group", (_data, ctx) => {
        attempts.push({ count: ctx.deliveryCount, at: Date.now() });
        if (ctx.deliveryCount === 1) throw new Error("temporary failure");
      }),
    ]);
    await bus.publish(channel, { job: 1 });
    const [first, second] = await attempts.waitForCount(2, WAIT_MS, "the redelivery");
    assert.deepEqual([first!.count, second!.count], [1, 2]);
    assert.ok(second!.at - first!.at >= 900, `redelivered after ackWait (1 s), not at once: ${second!.at - first!.at} ms`);
    await until(async () => (await channelSubscriptions(server, channel)).every((sub) => sub.pending_count === 0), WAIT_MS, "the handled message to be acked");
    assert.equal(attempts.length, 2);
  });

  test("after retry.maxDeliver deliveries the message is dead-lettered to a STAN channel (with its headers) and acked", async () => {
    const channel = uniqueName("doomed");
    const attempts = new Collector<number>();
    const dead = new Collector<Seen>();
    const bus = await makeBus();
    await bus.listen([
      listenerFor(channel, "doomed-group", (_data, ctx) => {
        attempts.push(ctx.deliveryCount);
        throw Object.assign(new Error("cannot ship"), { code: "E_SHIP" });
      }),
      listenerFor(`dead-letter.${channel}`, "dead-letter-audit", (data, ctx) => dead.push({ data, ctx })),
    ]);
    await bus.publish(channel, { order: 7 });
    const [letter] = await dead.waitForCount(1, WAIT_MS, "the dead letter");
    assert.deepEqual(attempts.items, [1, 2, 3]);
    assert.deepEqual(letter!.data, { order: 7 });
    const headers = letter!.ctx.headers;
    assert.equal(headers[DeadLetterHeaders.reason], "max-deliveries");
    assert.equal(headers[DeadLetterHeaders.deliveryCount], "3");
    assert.equal(headers[DeadLetterHeaders.errorCode], "E_SHIP");
    assert.equal(headers[DeadLetterHeaders.originalSubject], channel);
    assert.equal(headers[DeadLetterHeaders.originalStream], channel, "the STAN channel");
    assert.equal(headers[DeadLetterHeaders.originalSequence], "1");
    await until(async () => (await channelSubscriptions(server, channel)).every((sub) => sub.pending_count === 0), WAIT_MS, "the dead-lettered message to be acked");
  });

  test("drain() and close() tell the server: the client id is gone at once (no ghost), the durable group stays", async () => {
    const channel = uniqueName("lifecycle");
    const group = uniqueName("kept-group");
    const handled = new Collector<number>();
    const bus = await makeBus();
    await bus.listen([listenerFor(channel, group, (data) => handled.push((data as { n: number }).n))]);
    const clientId = (bus.transport as StanTransport).clientId!;
    assert.ok((await streamingClientIds(server)).includes(clientId), `${clientId} is connected`);
    await bus.publish(channel, { n: 1 });
    await handled.waitForCount(1, WAIT_MS, "message 1");

    await bus.drain();
    assert.ok(!(await streamingClientIds(server)).includes(clientId), `${clientId} must be gone right after drain()`);
    const subscriptions = await channelSubscriptions(server, channel);
    assert.equal(subscriptions.length, 1, "the durable queue group is kept");
    assert.equal(subscriptions[0]!.is_offline, true);

    await raw.publish(channel, JSON.stringify({ n: 2 }));
    const next = await makeBus();
    const nextId = (next.transport as StanTransport).clientId!;
    await next.listen([listenerFor(channel, group, (data) => handled.push((data as { n: number }).n))]);
    await handled.waitForCount(2, WAIT_MS, "message 2 on the next process");
    assert.deepEqual(handled.items, [1, 2]);
    await next.close();
    assert.ok(!(await streamingClientIds(server)).includes(nextId), `${nextId} must be gone right after close()`);
  });

  test("a durable listener on a wildcard subject is refused with EB_ERR_SUBSCRIBE; durable: false ones use core NATS", async () => {
    const bus = await makeBus();
    await assert.rejects(bus.listen([listenerFor(`${uniqueName("wild")}.*`, "g", () => undefined)]), (err: unknown) => {
      assert.ok(err instanceof EventBusError);
      assert.equal(err.code, ErrorCodes.SUBSCRIBE);
      assert.match(err.message, /no wildcards/);
      return true;
    });
  });

  test("the streaming server goes away: status becomes reconnecting, and drain() still finishes quickly", async () => {
    const own = await startStreamingServer({ clusterId: "short-lived" });
    try {
      const statuses = new Collector<string>();
      const bus = await makeBus({ servers: [own.url], stan: { clusterId: own.clusterId }, reconnect: { maxAttempts: -1, waitMs: 100, jitterMs: 0 } });
      bus.onStatusChange(statuses.push);
      await bus.listen([listenerFor(uniqueName("orphan"), "orphans", () => undefined)]);
      await own.stop();
      await statuses.waitForCount(1, WAIT_MS, "a status change after the server stopped");
      assert.equal(statuses.items[0], "reconnecting");
      const started = Date.now();
      await bus.drain();
      assert.equal(bus.status, "closed");
      assert.ok(Date.now() - started < 3_000, `drain without a server took ${Date.now() - started} ms`);
    } finally {
      await own.stop();
    }
  });

  test("a wrong cluster id fails connect() with EB_ERR_CONNECT naming it, within the timeout", async () => {
    const started = Date.now();
    await assert.rejects(makeBus({ stan: { clusterId: "no-such-cluster" }, connectTimeoutMs: 1_000 }), (err: unknown) => {
      assert.ok(err instanceof EventBusError);
      assert.equal(err.code, ErrorCodes.CONNECT);
      assert.match(err.message, /no-such-cluster/);
      return true;
    });
    assert.ok(Date.now() - started < 5_000, "no hang");
  });
});

describe("stan+jetstream: the dual-publish period of a migration", { skip }, () => {
  let nats: NatsServer;
  let streaming: StreamingServer;
  let cwd: string | undefined;
  const buses: EventBus[] = [];

  before(async () => {
    // The migration topology: one JetStream-enabled nats-server, the streaming server connected to it.
    nats = await startNatsServer();
    streaming = await startStreamingServer({ clusterId: "migration", natsUrl: nats.url });
    cwd = await tempCwd("stan-dual");
  });
  after(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await streaming?.stop();
    await nats?.stop();
    await removeDir(cwd);
  });

  const connectBus = async (transport: "stan" | "stan+jetstream" | "jetstream"): Promise<EventBus> => {
    const bus = new EventBus();
    buses.push(bus);
    await bus.connect({
      transport,
      servers: [nats.url],
      stan: { clusterId: streaming.clusterId },
      streams: [{ name: "MIGRATION", subjects: ["migration.>"], storage: "memory" }],
      logger: silentLogger,
      env: {},
      cwd,
    });
    return bus;
  };

  test("each publish is stored by STAN and JetStream; STAN listeners keep working; a JetStream group started later reads it from the stream", async () => {
    const subject = `migration.${uniqueName("order-created")}`;
    const onStan = new Collector<unknown>();
    const onJetStream = new Collector<unknown>();
    const listeners = await connectBus("stan");
    await listeners.listen([listenerFor(subject, "emails", (data) => onStan.push(data))]);

    const publisher = await connectBus("stan+jetstream");
    const receipt = await publisher.publish(subject, { id: "o-1" }, { msgId: "o-1" });
    assert.equal(receipt.stream, "MIGRATION", "the receipt is JetStream's");
    assert.equal(receipt.duplicate, false);
    assert.deepEqual(await onStan.waitForCount(1, WAIT_MS, "the STAN listener"), [{ id: "o-1" }]);

    const core = await connect({ servers: nats.url });
    const stored = await (await jetstreamManager(core)).streams.getMessage("MIGRATION", { seq: receipt.seq! });
    assert.deepEqual(stored?.json(), { id: "o-1" });
    await core.close();

    // Cut-over of the group: the same listener on JetStream reads what was dual-published.
    const cutOver = await connectBus("jetstream");
    await cutOver.listen([listenerFor(subject, "emails", (data) => onJetStream.push(data))]);
    assert.deepEqual(await onJetStream.waitForCount(1, WAIT_MS, "the JetStream listener"), [{ id: "o-1" }]);
  });

  test("cut-over of one group at a start time (docs/migrating-from-stan.md): the JetStream group takes only what the drained STAN group had not seen", async () => {
    const subject = `migration.${uniqueName("invoice-due")}`;
    const group = "billing";
    const onStan = new Collector<number>();
    const stanListeners = await connectBus("stan");
    await stanListeners.listen([listenerFor(subject, group, (data) => onStan.push((data as { n: number }).n))]);
    const publisher = await connectBus("stan+jetstream");
    for (const n of [1, 2]) await publisher.publish(subject, { n }, { msgId: `${subject}-${n}` });
    await onStan.waitForCount(2, WAIT_MS, "1 and 2 on STAN");

    // 1. Drain the group's STAN listeners (SIGTERM in production); everything they took is acked.
    await stanListeners.drain();
    const response = await fetch(`${streaming.monitorUrl}/streaming/channelsz?channel=${subject}&subs=1`);
    const channel = (await response.json()) as { subscriptions: Array<{ pending_count: number; is_offline: boolean }> };
    assert.deepEqual(channel.subscriptions.map((sub) => [sub.pending_count, sub.is_offline]), [[0, true]], "nothing left pending for the group");
    const cut = new Date();
    for (const n of [3, 4]) await publisher.publish(subject, { n }, { msgId: `${subject}-${n}` });

    // 2. Create the group's JetStream consumer starting at the cut, under the name provisioning uses.
    const core = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(core);
    const name = consumerName({ subject, queueGroup: group, listenerId: "StanRecorder.handle", concurrency: 1, durable: true });
    // The settings provisioning wants (so it finds nothing to update: nats-server 2.9 refuses any
    // update of a consumer with a start time, "start time can not be updated"), plus the start.
    await jsm.consumers.add("MIGRATION", {
      durable_name: name,
      filter_subject: subject,
      ack_policy: AckPolicy.Explicit,
      ack_wait: 30_000 * 1_000_000, // ackWaitMs (default 30 s) in nanoseconds
      max_deliver: -1,
      max_ack_pending: -1,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: cut.toISOString(),
    });

    // 3. Start the group's listeners with transport "jetstream": provisioning adopts the consumer and keeps its start.
    const onJetStream = new Collector<number>();
    const jetstreamListeners = await connectBus("jetstream");
    await jetstreamListeners.listen([listenerFor(subject, group, (data) => onJetStream.push((data as { n: number }).n))]);
    await onJetStream.waitForCount(2, WAIT_MS, "3 and 4 on JetStream");
    assert.deepEqual(onJetStream.items, [3, 4], "in stream order, so 1 and 2 (before the cut) were never delivered");
    const info = await jsm.consumers.info("MIGRATION", name);
    assert.equal(info.config.deliver_policy, DeliverPolicy.StartTime);
    await core.close();
  });
});
