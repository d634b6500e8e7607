import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, EventBusError, StreamUnavailableError, ValidationError, eventBusErrorHandler } from "../../src/index.js";

function answer(err: unknown): { status: number; body: { error: string; message: string } } | "next" {
  let status = 0;
  let text = "";
  const res = { headersSent: false, set statusCode(value: number) { status = value; }, setHeader() {}, end(chunk: string) { text = chunk; } };
  let passed = false;
  eventBusErrorHandler()(err, {}, res as never, () => (passed = true));
  return passed ? "next" : { status, body: JSON.parse(text) as { error: string; message: string } };
}

describe("eventBusErrorHandler: contract errors", () => {
  test("data that breaks its contract on publish or request is a 400 listing the paths", () => {
    for (const direction of ["publish", "request"] as const) {
      const result = answer(new ValidationError("order.created", direction, [{ path: "quantity", message: "expected number" }], `${direction}; nothing was sent`));
      assert.notEqual(result, "next");
      if (result === "next") return;
      assert.equal(result.status, 400);
      assert.equal(result.body.error, "EB_ERR_VALIDATION");
      assert.match(result.body.message, /quantity: expected number/);
    }
  });

  test("an invalid reply or an unreadable reply is the upstream's fault: 502; over max_payload: 413", () => {
    assert.deepEqual((answer(new ValidationError("quote.get", "reply", [], "reply")) as { status: number }).status, 502);
    assert.deepEqual((answer(new EventBusError(ErrorCodes.UNSUPPORTED_CONTENT_TYPE, "x")) as { status: number }).status, 502);
    assert.deepEqual((answer(new EventBusError(ErrorCodes.PAYLOAD_TOO_LARGE, "x")) as { status: number }).status, 413);
    assert.equal(answer(new Error("not ours")), "next");
  });

  test("no PubAck from JetStream in time is a 503 (retryable); no stream for the subject is a 500 (configuration)", () => {
    assert.equal((answer(new EventBusError(ErrorCodes.PUBLISH_ACK, "x")) as { status: number }).status, 503);
    assert.equal((answer(new EventBusError(ErrorCodes.NO_STREAM, "x")) as { status: number }).status, 500);
  });

  test("a stream unavailable for all of publishRetryMs (a leader election that outlasted it) is a 503 with its code", () => {
    const err = new StreamUnavailableError('stream "ORDERS" was unavailable', { subject: "orders.created", msgId: "m-1", mayBeStored: true, attempts: 9 });
    assert.deepEqual(answer(err), { status: 503, body: { error: "EB_ERR_STREAM_UNAVAILABLE", message: 'stream "ORDERS" was unavailable' } });
  });
});
