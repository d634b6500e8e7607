// Publish retries against a real nats-server: a configured stream that does not answer
// (here: not created yet, which the server reports exactly like a stream without a leader)
// is retried until it appears, storing the message once; after publishRetryMs the publish
// rejects with EB_ERR_STREAM_UNAVAILABLE ("not stored"). Elections themselves: test/cluster/.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StorageType } from "@nats-io/jetstream";
import { ErrorCodes, StreamUnavailableError, type ConnectOptions, type EventBus } from "../../src/index.js";
import { errorWithCode } from "../helpers/assertions.js";
import { uniqueName } from "../helpers/unique.js";
import { useJetStreamServer } from "./jetstream-server.js";

const server = useJetStreamServer("publish-retry");

/** A bus configured with a stream `name` on `<prefix>.>` that it does not create. */
function busWithAbsentStream(name: string, prefix: string, extra: ConnectOptions = {}): Promise<EventBus> {
  return server.bus({ createStreamsOnConnect: false, streams: [{ name, subjects: [`${prefix}.>`], storage: "memory" }], ...extra });
}

describe("jetstream publish retry", () => {
  test("a publish that finds no stream leader is retried until the stream answers, and stored once with a generated msgId", async () => {
    const stream = uniqueName("RETRY").replace(/-/g, "_");
    const prefix = uniqueName("retry");
    const bus = await busWithAbsentStream(stream, prefix);
    const publishing = bus.publish(`${prefix}.created`, { id: 1 });
    await server.jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: StorageType.Memory });
    const receipt = await publishing;
    assert.deepEqual(receipt, { duplicate: false, stream, seq: 1 });
    const info = await server.jsm.streams.info(stream);
    assert.equal(info.state.messages, 1);
    const stored = await server.jsm.streams.getMessage(stream, { seq: 1 });
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
    await assert.rejects(
      server.bus({ publishRetryMs: 10_000, streams: [{ name: uniqueName("SHORT").replace(/-/g, "_"), subjects: [`${uniqueName("short")}.>`], duplicateWindowMs: 2_000 }] }),
      errorWithCode(ErrorCodes.CONFIG, "publishRetryMs", "duplicateWindowMs 2000"),
    );
  });
});
