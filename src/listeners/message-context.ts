import type { MessageHeaders } from "../transport/transport.js";

/** The second argument of every handler. */
export interface MessageContext {
  /** The concrete subject the message was published to (the pattern may have wildcards). */
  readonly subject: string;
  readonly headers: MessageHeaders;
  /** The payload exactly as received, before decoding. */
  readonly raw: Uint8Array;
  /** Reply subject when the sender waits for an answer. */
  readonly replyTo: string | undefined;
  /** 1 on first delivery; higher on redelivery (durable transports). */
  readonly deliveryCount: number;
  /** "Class.method" of the handler. */
  readonly listener: string;
  /**
   * The chain's correlation id: the message's X-Correlation-Id header; when it had none,
   * "<stream>:<seq>" for a stored message (the same on every redelivery), else a new id.
   * Events the handler publishes carry it on (see currentEventContext()).
   */
  readonly correlationId: string;
  /** The W3C traceparent the message carried, if any; events the handler publishes continue its trace. */
  readonly traceparent: string | undefined;
  /**
   * Answers a request now. Returning a value from the handler does the same;
   * use this to answer before the handler finishes. Only the first reply is sent.
   */
  reply(value: unknown, headers?: MessageHeaders): void;
}

/** A handler as @Listen sees it. */
export type ListenerHandler<T = unknown, R = unknown> = (data: T, ctx: MessageContext) => R | Promise<R>;
