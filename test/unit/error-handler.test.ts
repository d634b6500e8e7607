import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, EventBusError, StreamUnavailableError, ValidationError, eventBusErrorHandler, runWithEventContext, type ErrorHandlerOptions, type Logger } from "../../src/index.js";

interface Answer {
  status: number;
  body: { error: string; message: string; correlationId?: string };
  logged: Array<{ fields: Record<string, unknown>; message: string }>;
}

function answer(err: unknown, options: ErrorHandlerOptions = {}, responseHeaders: Record<string, string> = {}): Answer | "next" {
  let status = 0;
  let text = "";
  const logged: Answer["logged"] = [];
  const record = (fields: object, message: string) => void logged.push({ fields: fields as Record<string, unknown>, message });
  const logger: Logger = { debug: record, info: record, warn: record, error: record };
  const res = {
    headersSent: false,
    set statusCode(value: number) { status = value; },
    getHeader: (name: string) => responseHeaders[name.toLowerCase()],
    setHeader() {},
    end(chunk: string) { text = chunk; },
  };
  let passed = false;
  eventBusErrorHandler({ logger, ...options })(err, { method: "POST", url: "/orders" } as never, res as never, () => (passed = true));
  return passed ? "next" : { status, body: JSON.parse(text) as Answer["body"], logged };
}

describe("eventBusErrorHandler: what the client sees and what the log keeps", () => {
  const internal = new EventBusError(ErrorCodes.NO_STREAM, 'no stream captures subject "order.created" (streams: ORDERS_V2)');

  test("a 5xx sends the code and a generic message; the stream names stay in the server log, with the stack", () => {
    const result = answer(internal);
    assert.notEqual(result, "next");
    if (result === "next") return;
    assert.equal(result.status, 500);
    assert.equal(result.body.error, ErrorCodes.NO_STREAM);
    assert.doesNotMatch(result.body.message, /ORDERS_V2|order\.created/);
    assert.equal(result.logged.length, 1);
    const [line] = result.logged;
    assert.match(line!.message, /500 EB_ERR_NO_STREAM: no stream captures subject "order\.created"/);
    assert.equal(line!.fields.code, ErrorCodes.NO_STREAM);
    assert.equal(line!.fields.err, internal, "the error itself, for pino's err serializer (type, message, stack)");
    assert.equal(line!.fields.url, "/orders");
  });

  test("each 5xx is logged with the correlation id of the request, which the body repeats", () => {
    const inContext = runWithEventContext({ correlationId: "checkout-7f3a" }, () => answer(new EventBusError(ErrorCodes.NOT_CONNECTED, "not connected (status connecting)")));
    assert.notEqual(inContext, "next");
    if (inContext === "next") return;
    assert.equal(inContext.status, 503);
    assert.equal(inContext.logged[0]!.fields.correlationId, "checkout-7f3a");
    assert.equal(inContext.body.correlationId, "checkout-7f3a");
    // Outside the event context (a handler that lost it), the id eventContext() set on the response is used.
    const fromHeader = answer(new EventBusError(ErrorCodes.REQUEST_TIMEOUT, "x"), {}, { "x-correlation-id": "from-response" });
    assert.equal((fromHeader as Answer).logged[0]!.fields.correlationId, "from-response");
  });

  test("exposeDetails (development) sends the error's own message for a 5xx too", () => {
    const result = answer(internal, { exposeDetails: true }) as Answer;
    assert.match(result.body.message, /ORDERS_V2/);
  });

  test("a 4xx keeps its message (it is about the client's input) and is not logged as a server error", () => {
    const result = answer(new EventBusError(ErrorCodes.INVALID_SUBJECT, 'subject "a..b" has an empty token')) as Answer;
    assert.equal(result.status, 400);
    assert.match(result.body.message, /a\.\.b/);
    assert.deepEqual(result.logged, []);
  });
});

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
    const result = answer(err);
    assert.notEqual(result, "next");
    if (result === "next") return;
    assert.equal(result.status, 503);
    assert.equal(result.body.error, "EB_ERR_STREAM_UNAVAILABLE");
    assert.equal(result.logged[0]?.fields.err, err, "the log keeps the error (its msgId and mayBeStored)");
  });
});
