import type { InboundMessage, MessageHeaders } from "../transport/transport.js";

/**
 * The header that says which codec wrote a message. The default JSON codec does not
 * write it (a header on every message costs CPU on both sides, and services in other
 * languages send plain JSON without one): a message without it is JSON.
 */
export const CONTENT_TYPE_HEADER = "Content-Type";
export const JSON_CONTENT_TYPE = "application/json";

/** The media type a message declares ("application/json" when it declares none), lowercased, without parameters. */
export function contentTypeOf(message: InboundMessage): string {
  const value = message.header ? message.header(CONTENT_TYPE_HEADER) : findHeader(message.headers, CONTENT_TYPE_HEADER);
  return value === undefined || value === "" ? JSON_CONTENT_TYPE : mediaType(value);
}

/** A header of a record, matched case-insensitively. */
export function findHeader(headers: MessageHeaders, name: string): string | undefined {
  const exact = headers[name];
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const key in headers) if (key.length === name.length && key.toLowerCase() === lower) return headers[key];
  return undefined;
}

/** "Application/JSON; charset=utf-8" → "application/json". */
export function mediaType(value: string): string {
  const semicolon = value.indexOf(";");
  return (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase();
}
