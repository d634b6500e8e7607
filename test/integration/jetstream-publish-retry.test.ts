// Publish retries against a real nats-server: a configured stream that does not answer
// (here: not created yet, which the server reports exactly like a stream without a leader)
// is retried until it appears, storing the message once; after publishRetryMs the publish
// rejects with EB_ERR_STREAM_UNAVAILABLE ("not stored"). Elections themselves: test/cluster/.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { StorageType, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ErrorCodes, EventBus, StreamUnavailableError, type ConnectOptions } from "../../src/index.js";
import { errorWithCode } from "../helpers/assertions.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { uniqueName } from "../helpers/unique.js";
import { removeDir, silentLogger, tempCwd } from "./support.js";

let nats: NatsServer | undefined;
let cwd: string | undefined;
let raw: NatsConnection | undefined;
let jsm: JetStreamManager;
let buses: EventBus[] = [];

before(async () => {
  nats = await startNatsServer();
  cwd = await tempCwd("publish-retry");
  raw = await connect({ servers: nats.url, name: "publish-retry-raw" });
  jsm = await jetstreamManager(raw);
});

afterEach(async () => {
  const open = buses;
  buses = [];
  await Promise.all(open.map((bus) => bus.close()));
});

after(async () => {
  await raw?.close();
  await nats?.stop();
  await removeDir(cwd);
});

/** A bus configured with a stream `name` on `<prefix>.>` that it does not create. */
async function busWithAbsentStream(name: string, prefix: string, extra: ConnectOptions = {}): Promise<EventBus> {
  const bus = new EventBus();
  buses.push(bus);
  await bus.connect({
    transport: "jetstream",
    servers: [nats!.url],
    logger: silentLogger,
    env: {},
    cwd,
    metrics: false,
    createStreamsOnConnect: false,
    streams: [{ name, subjects: [`${prefix}.>`], storage: "memory" }],
    ...extra,
  });
  return bus;
}

describe("jetstream publish retry", () => {
  test("a publish that finds no stream leader is retried until the stream answers, and stored once with a generated msgId", async () => {
    const stream = uniqueName("RETRY").replace(/-/g, "_");
    const prefix = uniqueName("retry");
    const bus = await busWithAbsentStream(stream, prefix);
    const publishing = bus.publish(`${prefix}.created`, { id: 1 });
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: StorageType.Memory });
    const receipt = await publishing;
    assert.deepEqual(receipt, { duplicate: false, stream, seq: 1 });
    const info = await jsm.streams.info(stream);
    assert.equal(info.state.messages, 1);
    const stored = await jsm.streams.getMessage(stream, { seq: 1 });
    assert.ok(stored?.header.get("Nats-Msg-Id"), "the publish carried a generated Nats-Msg-Id");
  });

  test("after publishRetryMs it rejects with EB_ERR_STREAM_UNAVAILABLE, naming the stream and saying it was not stored", async () => {
    const stream = uniqueName("ABSENT").replace(/-/g, "_");
    const prefix = uniqueName("absent");
    const bus = await busWithAbsentStream(stream, prefix, { publishRetryMs: 400 });
    const err = await bus.publish(`${prefix}.created`, { id: 2 }, { msgId: "id-2" }).catch((e: unknown) => e);
    errorWithCode(ErrorCodes.STREAM_UNAVAILABLE, `stream "${stream}" was unavailable`, "no responders", "was not stored")(err);
    assert.ok(err instanceof StreamUnavailableError);
    assert.equal(err.mayBeStored, false);
    assert.equal(err.msgId, "id-2");
    assert.ok(err.attempts > 1, `retried (attempts: ${err.attempts})`);

    await assert.rejects(
      bus.publishAll([{ subject: `${prefix}.a`, data: 1 }, { subject: `${prefix}.b`, data: 2 }]),
      errorWithCode(ErrorCodes.STREAM_UNAVAILABLE, "publishAll: message #", `stream "${stream}" was unavailable`),
    );
  });

  test("publishRetryMs 0: one attempt, and the error says the stream did not answer (not that JetStream is off)", async () => {
    const stream = uniqueName("NORETRY").replace(/-/g, "_");
    const prefix = uniqueName("noretry");
    const bus = await busWithAbsentStream(stream, prefix, { publishRetryMs: 0 });
    const err = await bus.publish(`${prefix}.created`, { id: 3 }).catch((e: unknown) => e);
    errorWithCode(ErrorCodes.PUBLISH_ACK, `stream "${stream}" did not answer`, "no leader")(err);
    assert.doesNotMatch((err as Error).message, /not enabled/);
  });

  test("a stream whose duplicate window is shorter than publishRetryMs is refused at connect", async () => {
    const bus = new EventBus();
    buses.push(bus);
    await assert.rejects(
      bus.connect({
        transport: "jetstream",
        servers: [nats!.url],
        logger: silentLogger,
        env: {},
        cwd,
        metrics: false,
        publishRetryMs: 10_000,
        streams: [{ name: uniqueName("SHORT").replace(/-/g, "_"), subjects: [`${uniqueName("short")}.>`], duplicateWindowMs: 2_000 }],
      }),
      errorWithCode(ErrorCodes.CONFIG, "publishRetryMs", "duplicateWindowMs 2000"),
    );
  });
});
