import type { IncomingMessage, ServerResponse } from "node:http";
import { ContextHeaders, contextFromHeaders, runWithEventContext } from "../context/event-context.js";

/**
 * Express middleware: the request's event context, so every event published while
 * handling it carries the request's correlation id and trace context in its NATS headers.
 * The correlation id comes from the `X-Correlation-Id` request header (a new one when
 * absent or unusable) and is echoed on the response; a valid W3C `traceparent` (and
 * `tracestate`) header is carried on as it is. With an OpenTelemetry SDK, the active span
 * of the request (HTTP instrumentation) is the parent of the publish spans instead.
 *
 * Mount it before the routes that publish (`app.use(eventContext())`); the context
 * survives express.json() on either side of it (checked on Express 4 and 5).
 */
export function eventContext() {
  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    const context = contextFromHeaders(req.headers);
    if (!res.headersSent) res.setHeader(ContextHeaders.correlationId, context.correlationId);
    runWithEventContext(context, () => next());
  };
}
