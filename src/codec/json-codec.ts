import { ErrorCodes, EventBusError, describeError } from "../errors.js";
import type { Codec } from "./codec.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Plain JSON on the wire, no envelope: any NATS client in any language reads it.
 * An empty payload decodes to `undefined` so a bare `publish(subject)` round-trips.
 */
export class JsonCodec implements Codec {
  readonly contentType = "application/json";

  encode(value: unknown, subject: string): Uint8Array {
    if (value === undefined) return new Uint8Array(0);
    let text: string;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      throw new EventBusError(
        ErrorCodes.ENCODE,
        `cannot encode the payload for "${subject}" as JSON: ${describeError(err)}`,
        { cause: err },
      );
    }
    if (text === undefined) {
      throw new EventBusError(ErrorCodes.ENCODE, `cannot encode the payload for "${subject}" as JSON: a ${typeof value} has no JSON form`);
    }
    return encoder.encode(text);
  }

  decode(bytes: Uint8Array, subject: string): unknown {
    if (bytes.length === 0) return undefined;
    try {
      return JSON.parse(decoder.decode(bytes));
    } catch (err) {
      throw new EventBusError(
        ErrorCodes.DECODE,
        `message on "${subject}" is not valid JSON (${bytes.length} bytes): ${describeError(err)}`,
        { cause: err },
      );
    }
  }
}
