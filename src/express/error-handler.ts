import type { IncomingMessage, ServerResponse } from "node:http";
import { container } from "tsyringe";
import { EventBus } from "../bus/event-bus.js";
import { ContextHeaders, currentEventContext } from "../context/event-context.js";
import type { Logger } from "../logger.js";
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

/** What a client is told for a 5xx by default: the code and this, nothing about the inside. */
const GENERIC_MESSAGES: Record<number, string> = {
  500: "internal error; the server log has the details (look for this response's correlation id)",
  502: "an upstream service answered with an error",
  503: "the service is temporarily unavailable; try again later",
  504: "an upstream service did not answer in time",
};

export interface ErrorHandlerOptions {
  /** Where each 5xx is logged (default: the bus's logger, pino unless you passed another). */
  logger?: Logger;
  /**
   * Send the error's own message for 5xx answers too (stream names, subjects: internal
   * configuration). For development; default false. 4xx answers always carry it: it is about the
   * client's own input (the failing paths of a contract, a subject it chose).
   */
  exposeDetails?: boolean;
}

/**
 * Express error middleware: turns EventBusErrors into JSON responses with a
 * fitting status (`{"error":"EB_ERR_NO_RESPONDERS","message":"...","correlationId":"..."}` with 503, ...):
 * 503 no responders / not connected / no PubAck / stream unavailable, 504 timeout, 502 remote error or invalid reply,
 * 400 encode / invalid subject / data that breaks its contract (EB_ERR_VALIDATION, with
 * the failing paths), 413 over max_payload, 500 for the rest.
 * Each 5xx is logged at error level with the request's correlation id and the error's stack;
 * its body carries the code and a generic message unless `exposeDetails` is set.
 * Other errors go on to the next error handler. Mount it after your routes.
 */
export function eventBusErrorHandler(options: ErrorHandlerOptions = {}) {
  return (err: unknown, req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    if (!isEventBusError(err) || res.headersSent) return next(err);
    const status = statusOf(err);
    const correlationId = currentEventContext()?.correlationId ?? headerText(res.getHeader?.(ContextHeaders.correlationId));
    if (status >= 500) {
      const logger = options.logger ?? container.resolve(EventBus).logger;
      logger.error({ status, code: err.code, err, correlationId, method: req?.method, url: req?.url }, `answered ${status} ${err.code}: ${err.message}`);
    }
    const message = status >= 500 && !options.exposeDetails ? (GENERIC_MESSAGES[status] ?? GENERIC_MESSAGES[500]!) : err.message;
    res.statusCode = status;
    res.setHeader("content-type", "application/json; charset=utf-8");
    res.end(JSON.stringify({ error: err.code, message, ...(correlationId && { correlationId }) }));
  };
}

function headerText(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}
