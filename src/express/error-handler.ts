import type { ServerResponse } from "node:http";
import { ErrorCodes, ValidationError, isEventBusError, type ErrorCode } from "../errors.js";

/** HTTP status for the event-bus errors a route can meet while publishing or requesting. */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  [ErrorCodes.NO_RESPONDERS]: 503,
  [ErrorCodes.NOT_CONNECTED]: 503,
  // JetStream did not confirm the publish in time: the server is busy or away, a retry may work.
  [ErrorCodes.PUBLISH_ACK]: 503,
  // The stream had no leader for all of publishRetryMs (an election that took too long, too few nodes up).
  [ErrorCodes.STREAM_UNAVAILABLE]: 503,
  [ErrorCodes.REQUEST_TIMEOUT]: 504,
  [ErrorCodes.REMOTE]: 502,
  [ErrorCodes.ENCODE]: 400,
  [ErrorCodes.INVALID_SUBJECT]: 400,
  // Publishing what the route was given: the data broke the contract (the body lists the paths).
  [ErrorCodes.VALIDATION]: 400,
  [ErrorCodes.PAYLOAD_TOO_LARGE]: 413,
  // A reply in a format this process cannot read: the upstream answered wrongly.
  [ErrorCodes.UNSUPPORTED_CONTENT_TYPE]: 502,
};

function statusOf(err: { code: ErrorCode }): number {
  // An invalid *reply* is the responder's fault, not the HTTP client's.
  if (err instanceof ValidationError && err.direction === "reply") return 502;
  return STATUS_BY_CODE[err.code] ?? 500;
}

/**
 * Express error middleware: turns EventBusErrors into JSON responses with a
 * fitting status (`{"error":"EB_ERR_NO_RESPONDERS","message":"..."}` with 503, ...):
 * 503 no responders / not connected / no PubAck / stream unavailable, 504 timeout, 502 remote error or invalid reply,
 * 400 encode / invalid subject / data that breaks its contract (EB_ERR_VALIDATION, with
 * the failing paths), 413 over max_payload, 500 for the rest.
 * Other errors go on to the next error handler. Mount it after your routes.
 */
export function eventBusErrorHandler() {
  return (err: unknown, _req: unknown, res: ServerResponse, next: (err?: unknown) => void): void => {
    if (!isEventBusError(err) || res.headersSent) return next(err);
    res.statusCode = statusOf(err);
    res.setHeader("content-type", "application/json; charset=utf-8");
    res.end(JSON.stringify({ error: err.code, message: err.message }));
  };
}
