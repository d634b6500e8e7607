import { ErrorCodes, EventBusError, describeError } from "../errors.js";
import type { Codec } from "./codec.js";
import { JSON_CONTENT_TYPE } from "./content-type.js";
import { convertKeys, toCamelKey, toSnakeKey, type KeyCase } from "./key-case.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export interface JsonCodecOptions {
  /**
   * "snake_case": keys are snake_case on the wire and camelCase in TypeScript, at every
   * nesting level (see key-case.ts for the exact rule). Default: keys as they are.
   */
  keys?: KeyCase;
}

/**
 * Plain JSON on the wire, no envelope: any NATS client in any language reads it.
 * An empty payload decodes to `undefined` so a bare `publish(subject)` round-trips.
 * Dates become ISO 8601 strings (JSON's own rule); a contract's `dates` option turns
 * them back into Dates on the listener's side.
 */
export class JsonCodec implements Codec {
  readonly contentType = JSON_CONTENT_TYPE;
  readonly keys: KeyCase | undefined;

  constructor(options: JsonCodecOptions = {}) {
    if (options.keys !== undefined && options.keys !== "snake_case") {
      throw new EventBusError(ErrorCodes.CONFIG, `JsonCodec option "keys" must be "snake_case" or left out, got ${JSON.stringify(options.keys)}`);
    }
    this.keys = options.keys;
  }

  encode(value: unknown, subject: string): Uint8Array {
    if (value === undefined) return new Uint8Array(0);
    let text: string;
    try {
      text = JSON.stringify(this.keys ? convertKeys(value, toSnakeKey) : value);
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
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(bytes));
    } catch (err) {
      throw new EventBusError(
        ErrorCodes.DECODE,
        `message on "${subject}" is not valid JSON (${bytes.length} bytes): ${describeError(err)}`,
        { cause: err },
      );
    }
    return this.keys ? convertKeys(value, toCamelKey) : value;
  }
}
