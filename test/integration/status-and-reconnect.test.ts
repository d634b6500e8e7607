import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { injectable } from "tsyringe";
import { ErrorCodes, EventBus, Listen, isEventBusError, type MessageContext } from "../../src/index.js";
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

  test("server stops → onStatusChange reports reconnecting; same port back → connected, subscriptions restored; publish meanwhile rejects with EB_ERR_NOT_CONNECTED", { timeout: 60_000 }, async () => {
    const start = received.length;
    const lostAt = await stopServer();

    // nats.js drops what is queued while disconnected (protocol.js prepare() → resetOutbound()),
    // so the transport refuses the publish instead of accepting and losing it.
    await assert.rejects(bus.publish(SUBJECT, { n: "while-reconnecting-1" }), (err: unknown) => {
      assert.ok(isEventBusError(err, ErrorCodes.NOT_CONNECTED), `expected EB_ERR_NOT_CONNECTED, got ${String(err)}`);
      return true;
    });
    assert.equal(bus.status, "reconnecting", "a publish must not change the status");

    await startServerAgain(lostAt);
    assert.deepEqual(statuses.seen.slice(lostAt), ["reconnecting", "connected"]);

    // The subscription was re-established by the reconnect: a message published now arrives.
    await bus.publish(SUBJECT, { n: "after-1" });
    await waitForItem("after-1", start);
  });
});

async function waitForItem(item: string, from: number): Promise<void> {
  for (let count = from + 1; ; count++) {
    const items = await received.waitForCount(count, WAIT_MS, `"${item}" to arrive`);
    if (items.at(-1) === item) return;
  }
}
