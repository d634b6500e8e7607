import { ErrorCodes, EventBusError } from "../errors.js";
import type { InboundMessage } from "./transport.js";

/**
 * A JetStream stream answers every message published on its subjects with a PubAck, a
 * request's too: it stores the request as an event and replies `{"stream":…,"seq":…}`
 * instead of a responder. Request-reply must use subjects no stream captures.
 */
export function requestToStreamError(subject: string, stream: string, stored?: { seq: number }): EventBusError {
  const what = stored
    ? `stream "${stream}" captured it: it stored the request as an event (seq ${stored.seq}) and answered with its PubAck instead of a responder's reply`
    : `stream "${stream}" captures this subject, so it would store the request as an event and answer with its PubAck instead of a responder's reply; nothing was sent`;
  return new EventBusError(
    ErrorCodes.REQUEST_TO_STREAM,
    `request to "${subject}": ${what}. Use a subject no stream captures for request-reply, and let its responder listen with @Listen(subject, group, { durable: false }).`,
  );
}

const PUB_ACK_START = new TextEncoder().encode('{"stream":');
const PUB_ACK_KEYS = new Set(["stream", "seq", "duplicate", "domain"]);

/** The error for a reply that is a JetStream PubAck (no headers, `{"stream":…,"seq":…}` and nothing else), or undefined. */
export function pubAckReplyError(subject: string, reply: InboundMessage): EventBusError | undefined {
  const { data } = reply;
  // The cheap test first: every reply passes here, and a PubAck is short and starts this way.
  if (data.length > 256 || data.length < PUB_ACK_START.length || !PUB_ACK_START.every((byte, i) => data[i] === byte)) return undefined;
  if (Object.keys(reply.headers).length > 0) return undefined;
  let ack: unknown;
  try {
    ack = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  const { stream, seq } = ack as { stream?: unknown; seq?: unknown };
  if (typeof stream !== "string" || !Number.isInteger(seq) || !Object.keys(ack as object).every((key) => PUB_ACK_KEYS.has(key))) return undefined;
  return requestToStreamError(subject, stream, { seq: seq as number });
}
