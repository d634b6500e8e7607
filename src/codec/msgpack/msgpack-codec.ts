import { ErrorCodes, EventBusError, describeError } from "../../errors.js";
import type { Codec } from "../codec.js";
import { convertKeys, toCamelKey, toSnakeKey, type KeyCase } from "../key-case.js";

const PACKAGE = "@msgpack/msgpack";

async function load(): Promise<typeof import("@msgpack/msgpack")> {
  try {
    return await import("@msgpack/msgpack");
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const missing = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
    throw new EventBusError(
      ErrorCodes.OPTIONAL_DEPENDENCY,
      missing
        ? `the MessagePack codec needs the ${PACKAGE} package, which is not installed (${describeError(err)}). Install it next to express-nats-events: npm install ${PACKAGE}`
        : `cannot load ${PACKAGE}: ${describeError(err)}`,
      { cause: err },
    );
  }
}

const msgpack = await load();

/** The Content-Type this codec writes and accepts (override with the `contentType` option). */
export const MSGPACK_CONTENT_TYPE = "application/msgpack";

export interface MessagePackCodecOptions {
  /** "snake_case": snake_case keys on the wire, camelCase in TypeScript (the same rule as JsonCodec). */
  keys?: KeyCase;
  /** Default "application/msgpack"; some services use "application/x-msgpack" or "application/vnd.msgpack". */
  contentType?: string;
}

/**
 * MessagePack through @msgpack/msgpack (the msgpack organisation's JavaScript library).
 * Dates travel as the MessagePack timestamp extension and come back as Dates;
 * an empty payload is `undefined` both ways, as with JSON.
 */
export class MessagePackCodec implements Codec {
  readonly contentType: string;
  readonly keys: KeyCase | undefined;
  readonly #encoder = new msgpack.Encoder({ ignoreUndefined: true });
  readonly #decoder = new msgpack.Decoder();

  constructor(options: MessagePackCodecOptions = {}) {
    if (options.keys !== undefined && options.keys !== "snake_case") {
      throw new EventBusError(ErrorCodes.CONFIG, `MessagePackCodec option "keys" must be "snake_case" or left out, got ${JSON.stringify(options.keys)}`);
    }
    this.contentType = (options.contentType ?? MSGPACK_CONTENT_TYPE).toLowerCase();
    this.keys = options.keys;
  }

  encode(value: unknown, subject: string): Uint8Array {
    if (value === undefined) return new Uint8Array(0);
    try {
      return this.#encoder.encode(this.keys ? convertKeys(value, toSnakeKey) : value);
    } catch (err) {
      throw new EventBusError(ErrorCodes.ENCODE, `cannot encode the payload for "${subject}" as MessagePack: ${describeError(err)}`, { cause: err });
    }
  }

  decode(bytes: Uint8Array, subject: string): unknown {
    if (bytes.length === 0) return undefined;
    let value: unknown;
    try {
      value = this.#decoder.decode(bytes);
    } catch (err) {
      throw new EventBusError(ErrorCodes.DECODE, `message on "${subject}" is not valid MessagePack (${bytes.length} bytes): ${describeError(err)}`, { cause: err });
    }
    return this.keys ? convertKeys(value, toCamelKey) : value;
  }
}
