import type { ServerResponse } from "node:http";
import { ErrorCodes, isEventBusError, type ErrorCode } from "../errors.js";

/** HTTP status for the event-bus errors a route can meet while publishing or requesting. */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  [ErrorCodes.NO_RESPONDERS]: 503,
  [ErrorCodes.NOT_CONNECTED]: 503,
  [ErrorCodes.REQUEST_TIMEOUT]: 504,
  [ErrorCodes.REMOTE]: 502,
  [ErrorCodes.ENCODE]: 400,
  [ErrorCodes.INVALID_SUBJECT]: 400,
};

/**
 * Express error middleware: turns EventBusErrors into JSON responses with a
 * fitting status (`{"error":"EB_ERR_NO_RESPONDERS","message":"..."}` with 503, ...).
 * Other errors go on to the next error handler. Mount it after your routes.
 */
export function eventBusErrorHandler() {
  return (err: unknown, _req: unknown, res: ServerResponse, next: (err?: unknown) => void): void => {
    if (!isEventBusError(err) || res.headersSent) return next(err);
    res.statusCode = STATUS_BY_CODE[err.code] ?? 500;
    res.setHeader("content-type", "application/json; charset=utf-8");
    res.end(JSON.stringify({ error: err.code, message: err.message }));
  };
}
