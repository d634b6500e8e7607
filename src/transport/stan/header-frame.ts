import type { MessageHeaders } from "../transport.js";

/**
 * NATS Streaming messages have no headers. A message published with headers (dead
 * letters always are) carries them in front of the payload in the NATS header format:
 *
 *     NATS/1.0\r\nKey: Value\r\nOther: Value\r\n\r\n<payload>
 *
 * A message without headers is the payload alone, byte for byte, so services that use
 * node-nats-streaming directly (JSON.parse(msg.getData())) keep reading what we publish,
 * and we read what they publish. JSON never starts with "NATS/1.0", so a JSON payload
 * is never mistaken for a frame.
 */
const MAGIC = "NATS/1.0\r\n";
const MAGIC_BYTES = new TextEncoder().encode(MAGIC);
const END = new Uint8Array([13, 10, 13, 10]); // \r\n\r\n
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Header names and values cannot hold line breaks (or ":" in a name): those become spaces / "-". */
function clean(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}

export function encodeFrame(headers: MessageHeaders | undefined, payload: Uint8Array): Uint8Array {
  const entries = Object.entries(headers ?? {});
  if (entries.length === 0) return payload;
  const lines = entries.map(([key, value]) => `${clean(key).replace(/:/g, "-").trim()}: ${clean(value)}\r\n`);
  const head = encoder.encode(`${MAGIC}${lines.join("")}\r\n`);
  const framed = new Uint8Array(head.length + payload.length);
  framed.set(head);
  framed.set(payload, head.length);
  return framed;
}

/** Splits a frame into headers and payload; anything that is not a complete frame is all payload. */
export function decodeFrame(data: Uint8Array): { headers: MessageHeaders; payload: Uint8Array } {
  if (!startsWith(data, MAGIC_BYTES)) return { headers: {}, payload: data };
  const end = indexOf(data, END, MAGIC_BYTES.length - 2);
  if (end === -1) return { headers: {}, payload: data };
  const headers: Record<string, string> = {};
  const block = decoder.decode(data.subarray(MAGIC_BYTES.length, end));
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { headers, payload: data.subarray(end + END.length) };
}

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

function indexOf(data: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= data.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (data[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
