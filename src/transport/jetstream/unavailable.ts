import { JetStreamApiError } from "@nats-io/jetstream";
import { errors as natsErrors } from "@nats-io/transport-node";
import { ErrorCodes, EventBusError, describeError } from "../../errors.js";

/**
 * Why a JetStream API call about one stream or consumer failed, in words an operator can
 * act on. "Unavailable" causes (no leader, timeout) pass by themselves once an election
 * ends or a node comes back: callers retry them instead of failing.
 */
export interface JetStreamCause {
  readonly kind: "not-found" | "no-leader" | "timeout" | "other";
  /** e.g. "no leader (JetStream did not answer for it: an election is running or its nodes are down)" */
  readonly text: string;
}

export function jetStreamCause(err: unknown, timeoutMs?: number): JetStreamCause {
  const message = describeError(err);
  if ((err instanceof JetStreamApiError && err.status === 404) || /not found/i.test(message)) {
    return { kind: "not-found", text: message };
  }
  const cause = err instanceof Error ? err.cause : undefined;
  if (err instanceof natsErrors.TimeoutError || cause instanceof natsErrors.TimeoutError || /timeout|timed out/i.test(message)) {
    const after = timeoutMs ? ` after ${timeoutMs} ms` : "";
    return { kind: "timeout", text: `timed out${after} (no JetStream node answered for it: its leader is being elected, or the nodes holding it are down)` };
  }
  const noResponders =
    err instanceof natsErrors.NoRespondersError ||
    (err instanceof natsErrors.RequestError && err.isNoResponders()) ||
    (err as { code?: unknown }).code === 503 ||
    /no responders|no leader|not enabled|no suitable peers|offline/i.test(message);
  if (noResponders) return { kind: "no-leader", text: `no leader (JetStream had no responder for it: ${message}; an election is running, or too few nodes are up)` };
  return { kind: "other", text: message };
}

/** Will waiting cure it? (an election ends, a node comes back) */
export function isUnavailable(cause: JetStreamCause): boolean {
  return cause.kind === "no-leader" || cause.kind === "timeout";
}

/**
 * The error for `what` ("stream \"ORDERS\"") when JetStream could not answer for it now:
 * EB_ERR_REQUEST_TIMEOUT or EB_ERR_NO_RESPONDERS (what the API request met), with the cause in
 * words; undefined for any other failure (not found, permissions...), which callers handle as before.
 */
export function unavailableError(what: string, err: unknown, timeoutMs?: number): EventBusError | undefined {
  const cause = jetStreamCause(err, timeoutMs);
  if (!isUnavailable(cause)) return undefined;
  const code = cause.kind === "timeout" ? ErrorCodes.REQUEST_TIMEOUT : ErrorCodes.NO_RESPONDERS;
  return new EventBusError(code, `cannot read ${what}: ${cause.text}; try again once the cluster has elected its leader or the node holding it is back`, { cause: err });
}
