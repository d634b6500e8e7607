// The publish retry policy on its own: which failures it retries (the errors nats.js
// throws during a stream leader election), that every attempt carries one msgId, that it
// gives up after its time with EB_ERR_STREAM_UNAVAILABLE saying whether the message may be
// stored, and that the duplicate window is checked. The same policy against real servers:
// test/integration/jetstream-publish-retry.test.ts and test/cluster/.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { JetStreamApiError } from "@nats-io/jetstream";
import { errors as natsErrors } from "@nats-io/transport-node";
import { ErrorCodes, StreamUnavailableError } from "../../src/index.js";
import { checkRetryFitsDuplicateWindows, publishWhileUnavailable } from "../../src/transport/jetstream/publish-retry.js";
import { errorWithCode } from "../helpers/assertions.js";

/** What nats.js throws for "no responders" on a JetStream publish: JetStreamNotEnabled ← RequestError ← NoRespondersError. */
function noResponders(subject: string): Error {
  return new Error("jetstream is not enabled", { cause: new natsErrors.RequestError("no responders", { cause: new natsErrors.NoRespondersError(subject) }) });
}
const unavailable503 = () => new JetStreamApiError({ code: 503, err_code: 10008, description: "JetStream system temporarily unavailable" });

interface Ack {
  duplicate: boolean;
  seq: number;
}

/** An attempt function that fails with each of `failures` in turn, then resolves with `ack`; it records what each attempt was given. */
function scripted(failures: Error[], ack: Ack = { duplicate: false, seq: 1 }) {
  const calls: Array<{ msgId: string | undefined; timeoutMs: number }> = [];
  const attempt = async (msgId: string | undefined, timeoutMs: number): Promise<Ack> => {
    calls.push({ msgId, timeoutMs });
    const failure = failures[calls.length - 1];
    if (failure) throw failure;
    return ack;
  };
  return { attempt, calls };
}

const ORDERS = { subject: "orders.created", streamOf: () => "ORDERS" };

describe("publishWhileUnavailable", () => {
  test("retries no responders, 503 and timeouts with one msgId until the stream answers", async () => {
    const { attempt, calls } = scripted([noResponders("orders.created"), unavailable503(), new natsErrors.TimeoutError()]);
    const ack = await publishWhileUnavailable(attempt, { retryForMs: 10_000, attemptTimeoutMs: 5_000 }, { ...ORDERS, msgId: "order-1" });
    assert.deepEqual(ack, { duplicate: false, seq: 1 });
    assert.equal(calls.length, 4);
    assert.deepEqual(new Set(calls.map((call) => call.msgId)), new Set(["order-1"]));
    assert.ok(calls.every((call) => call.timeoutMs > 0 && call.timeoutMs <= 5_000), JSON.stringify(calls));
  });

  test("a publish without msgId gets one generated id for all its attempts, and its own duplicate is not reported as one", async () => {
    const { attempt, calls } = scripted([new natsErrors.TimeoutError()], { duplicate: true, seq: 7 });
    const ack = await publishWhileUnavailable(attempt, { retryForMs: 10_000, attemptTimeoutMs: 5_000 }, { ...ORDERS, msgId: undefined });
    assert.deepEqual(ack, { duplicate: false, seq: 7 }, "the first attempt stored it; the retry found it: stored once, by this call");
    assert.equal(calls.length, 2);
    assert.ok(calls[0]!.msgId && calls[0]!.msgId.length >= 16, `a generated id, got ${calls[0]!.msgId}`);
    assert.equal(calls[1]!.msgId, calls[0]!.msgId);
  });

  test("a duplicate of the caller's own msgId stays a duplicate", async () => {
    const { attempt } = scripted([], { duplicate: true, seq: 3 });
    const ack = await publishWhileUnavailable(attempt, { retryForMs: 10_000, attemptTimeoutMs: 5_000 }, { ...ORDERS, msgId: "order-3" });
    assert.equal(ack.duplicate, true);
  });

  test("gives up after retryForMs with EB_ERR_STREAM_UNAVAILABLE: not stored when every attempt found no leader", async () => {
    const attempt = async (): Promise<Ack> => {
      throw noResponders("orders.created");
    };
    const err = await publishWhileUnavailable(attempt, { retryForMs: 300, attemptTimeoutMs: 5_000 }, { ...ORDERS, msgId: "order-9" }).catch((e: unknown) => e);
    errorWithCode(ErrorCodes.STREAM_UNAVAILABLE, 'stream "ORDERS" was unavailable', "no responders", "was not stored")(err);
    assert.ok(err instanceof StreamUnavailableError);
    assert.equal(err.mayBeStored, false);
    assert.equal(err.msgId, "order-9");
    assert.equal(err.subject, "orders.created");
    assert.ok(err.attempts > 1, `retried before giving up (attempts: ${err.attempts})`);
  });

  test("after a timeout the error says the message may be stored, and names the msgId to publish it again with", async () => {
    const failures = [new natsErrors.TimeoutError(), noResponders("orders.created"), noResponders("orders.created"), noResponders("orders.created")];
    let calls = 0;
    const attempt = async (): Promise<Ack> => {
      throw failures[Math.min(calls++, failures.length - 1)]!;
    };
    const err = await publishWhileUnavailable(attempt, { retryForMs: 300, attemptTimeoutMs: 5_000 }, { ...ORDERS, msgId: undefined }).catch((e: unknown) => e);
    assert.ok(err instanceof StreamUnavailableError, String(err));
    assert.equal(err.mayBeStored, true);
    assert.match(err.message, new RegExp(`may have been stored .*msgId "${err.msgId}"`));
  });

  test("failures that waiting cannot cure are rethrown at once", async () => {
    const refused = new JetStreamApiError({ code: 400, err_code: 10054, description: "maximum messages exceeded" });
    const { attempt, calls } = scripted([refused]);
    await assert.rejects(publishWhileUnavailable(attempt, { retryForMs: 10_000, attemptTimeoutMs: 5_000 }, { ...ORDERS, msgId: undefined }), (err) => err === refused);
    assert.equal(calls.length, 1);
  });

  test("no responders on a subject no configured stream captures is a missing stream, not an election: no retry", async () => {
    const missing = noResponders("typo.created");
    const { attempt, calls } = scripted([missing]);
    const publish = { subject: "typo.created", streamOf: () => undefined, msgId: undefined };
    await assert.rejects(publishWhileUnavailable(attempt, { retryForMs: 10_000, attemptTimeoutMs: 5_000 }, publish), (err) => err === missing);
    assert.equal(calls.length, 1);
  });

  test("retryForMs 0: one attempt with the full publish timeout and no generated msgId", async () => {
    const timeout = new natsErrors.TimeoutError();
    const { attempt, calls } = scripted([timeout]);
    await assert.rejects(publishWhileUnavailable(attempt, { retryForMs: 0, attemptTimeoutMs: 5_000 }, { ...ORDERS, msgId: undefined }), (err) => err === timeout);
    assert.deepEqual(calls, [{ msgId: undefined, timeoutMs: 5_000 }]);
  });
});

describe("checkRetryFitsDuplicateWindows", () => {
  test("a stream whose duplicate window is shorter than the retry time is a configuration error naming both", () => {
    assert.throws(
      () => checkRetryFitsDuplicateWindows(10_000, [{ name: "ORDERS", subjects: ["orders.>"] }, { name: "FAST", subjects: ["fast.>"], duplicateWindowMs: 5_000 }]),
      errorWithCode(ErrorCodes.CONFIG, "publishRetryMs", '"FAST"', "duplicateWindowMs 5000"),
    );
  });

  test("streams with the default window (2 minutes) or a longer one pass", () => {
    assert.doesNotThrow(() => checkRetryFitsDuplicateWindows(10_000, [{ name: "ORDERS", subjects: ["orders.>"] }, { name: "SLOW", subjects: ["slow.>"], duplicateWindowMs: 10_000 }]));
  });
});
