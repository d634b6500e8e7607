import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { injectable } from "tsyringe";
import { EventBus, Listen, type MessageContext } from "../../src/index.js";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { Collector, uniqueName } from "../helpers/unique.js";
import { removeDir, silentLogger, StatusRecorder, tempCwd } from "./support.js";

const WAIT_MS = 10_000;
const SUBJECT = `${uniqueName("reconnect")}.ping`;

interface Ping {
  readonly n: string;
}

const received = new Collector<string>();

/**
 * Lives on the publishing bus itself: on reconnect nats.js re-sends its SUBs
 * before anything it publishes, so interest is at the server first and no
 * race with a second client's reconnect can decide what arrives.
 */
@injectable()
class PingListener {
  @Listen(SUBJECT)
  onPing(data: Ping, _ctx: MessageContext): void {
    received.push(data.n);
  }
}

describe("bus status and reconnect against a real nats-server on a fixed port", () => {
  let port: number;
  let server: NatsServer | undefined;
  let cwd: string;
  let bus: EventBus;
  let statuses: StatusRecorder;

  /** Stops the server and resolves once the bus reported "reconnecting"; returns where that status was recorded. */
  const stopServer = async (): Promise<number> => {
    const mark = statuses.seen.length;
    await server!.stop();
    server = undefined;
    const at = await statuses.waitFor("reconnecting", mark, WAIT_MS);
    assert.equal(bus.status, "reconnecting");
    return at;
  };

  /** Starts a new server on the same port and resolves once the bus reported "connected" again. */
  const startServerAgain = async (lostAt: number): Promise<void> => {
    server = await startNatsServer({ port, jetstream: false });
    await statuses.waitFor("connected", lostAt + 1, WAIT_MS);
    assert.equal(bus.status, "connected");
    assert.ok(!statuses.seen.slice(lostAt).includes("closed"), `the bus must not close while reconnecting: ${JSON.stringify(statuses.seen)}`);
  };

  before(async () => {
    cwd = await tempCwd("reconnect");
    port = await freePort();
    server = await startNatsServer({ port, jetstream: false });
    bus = new EventBus();
    statuses = new StatusRecorder(bus);
    await bus.connect({
      transport: "nats",
      servers: [server.url],
      env: {},
      cwd,
      logger: silentLogger,
      reconnect: { waitMs: 100, jitterMs: 0 },
    });
    await bus.listen([PingListener]);
  });

  after(async () => {
    statuses?.stop();
    await bus?.close();
    await server?.stop();
    await removeDir(cwd);
  });

  test("connect() reports connecting then connected, and delivers while connected", { timeout: 30_000 }, async () => {
    assert.deepEqual(statuses.seen, ["connecting", "connected"], "statuses reported by connect()");
    await bus.publish(SUBJECT, { n: "before" });
    assert.deepEqual(await received.waitForCount(1, WAIT_MS, "the message published while connected"), ["before"]);
  });

  test("server stops → onStatusChange reports reconnecting; same port back → connected, subscriptions restored; publish meanwhile does not throw", { timeout: 60_000 }, async () => {
    const start = received.length;
    const lostAt = await stopServer();

    await assert.doesNotReject(bus.publish(SUBJECT, { n: "while-reconnecting-1" }), "publish while reconnecting must not reject");
    assert.equal(bus.status, "reconnecting", "a publish must not change the status");

    await startServerAgain(lostAt);
    assert.deepEqual(statuses.seen.slice(lostAt), ["reconnecting", "connected"]);

    // The subscription was re-established by the reconnect: a message published now arrives.
    await bus.publish(SUBJECT, { n: "after-1" });
    await waitForItem("after-1", start);
  });

  /*
   * KNOWN LIMITATION (asserted, not hidden): nats.js 3.4 (@nats-io/nats-core
   * lib/protocol.js) calls prepare() → resetOutbound() at the start of every
   * reconnect attempt, which discards whatever was published while disconnected.
   * So with the core `nats` transport a publish during "reconnecting" resolves
   * but the message is silently dropped. If this test starts failing because
   * the message arrives, nats.js buffers across reconnects now: flip the
   * assertion and update the docs.
   */
  test("KNOWN LIMITATION: a message published while reconnecting is accepted but dropped (nats.js discards its pending buffer on each reconnect attempt)", { timeout: 60_000 }, async () => {
    const start = received.length;
    const lostAt = await stopServer();
    await assert.doesNotReject(bus.publish(SUBJECT, { n: "while-reconnecting-2" }));
    await startServerAgain(lostAt);

    await bus.publish(SUBJECT, { n: "after-2" });
    await waitForItem("after-2", start);
    // Core NATS keeps one connection's messages in order: once "after-2" is in, an earlier message either came first or never will.
    assert.deepEqual(
      received.items.slice(start),
      ["after-2"],
      "expected the message published while reconnecting to be lost (current nats.js behaviour); if it arrived, nats.js now buffers across reconnects",
    );
  });
});

async function waitForItem(item: string, from: number): Promise<void> {
  for (let count = from + 1; ; count++) {
    const items = await received.waitForCount(count, WAIT_MS, `"${item}" to arrive`);
    if (items.at(-1) === item) return;
  }
}
