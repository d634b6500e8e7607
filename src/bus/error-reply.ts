import { RemoteError } from "../errors.js";
import type { InboundMessage, MessageHeaders } from "../transport/transport.js";

/**
 * How a responder's failure travels back to the requester: the NATS services
 * convention (the same headers `nats micro` uses), so other clients understand it too.
 */
const ERROR_HEADER = "Nats-Service-Error";
const ERROR_CODE_HEADER = "Nats-Service-Error-Code";

export function errorReplyHeaders(err: unknown): MessageHeaders {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return { [ERROR_HEADER]: message || "handler failed", [ERROR_CODE_HEADER]: typeof code === "string" || typeof code === "number" ? String(code) : "UNKNOWN" };
}

/** The RemoteError a reply carries, or undefined for a normal reply. */
export function remoteErrorOf(subject: string, reply: InboundMessage): RemoteError | undefined {
  const message = reply.headers[ERROR_HEADER];
  if (message === undefined) return undefined;
  return new RemoteError(subject, message, reply.headers[ERROR_CODE_HEADER] ?? "UNKNOWN");
}
