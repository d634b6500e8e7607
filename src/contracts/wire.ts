import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Codec } from "../codec/codec.js";
import { CONTENT_TYPE_HEADER, JSON_CONTENT_TYPE, contentTypeOf } from "../codec/content-type.js";
import { JsonCodec } from "../codec/json-codec.js";
import { ErrorCodes, EventBusError, type ValidationError } from "../errors.js";
import type { InboundMessage, MessageHeaders } from "../transport/transport.js";
import { reviveDates } from "./date-paths.js";
import { contractInternals, contractRegistry, isContract, type AnyContract } from "./contract.js";
import { validatePayload } from "./validate.js";

/** What goes on the wire for one outgoing payload. */
export interface Outgoing {
  readonly bytes: Uint8Array;
  readonly headers: MessageHeaders | undefined;
}

/**
 * The payload path of one bus: contracts (validation, per-subject codec, dates), the
 * bus's codec, and the Content-Type header. Used by the EventBus for what it sends and
 * by the ListenerRunner for what it receives, so both sides apply the same rules.
 */
export class Wire {
  /** The bus codec writes JSON: no Content-Type header is needed for it. */
  readonly plain: boolean;
  readonly #json: Codec;

  constructor(readonly codec: Codec) {
    this.plain = codec.contentType === JSON_CONTENT_TYPE;
    this.#json = this.plain ? codec : new JsonCodec();
  }

  /** The contract a subject argument stands for: the contract itself, or the one defined for the subject string. */
  static contractOf(subject: unknown): AnyContract | undefined {
    if (typeof subject === "string") return contractRegistry.size === 0 ? undefined : contractRegistry.get(subject);
    if (isContract(subject)) return subject;
    return undefined;
  }

  /** The codec that writes `contract`'s subject. */
  writer(contract: AnyContract | undefined): Codec {
    return contract?.codec ?? this.codec;
  }

  /** `headers` plus the Content-Type header when `codec` does not write JSON. */
  headersFor(codec: Codec, headers: MessageHeaders | undefined): MessageHeaders | undefined {
    if (codec.contentType === JSON_CONTENT_TYPE) return headers;
    return { ...headers, [CONTENT_TYPE_HEADER]: codec.contentType };
  }

  /**
   * Validates (when the contract has a checking schema), encodes and adds the Content-Type.
   * Throws ValidationError or EB_ERR_ENCODE before anything is sent.
   */
  async outgoing(
    contract: AnyContract | undefined,
    subject: string,
    data: unknown,
    headers: MessageHeaders | undefined,
    direction: "publish" | "request",
  ): Promise<Outgoing> {
    let value = data;
    if (contract && contractInternals(contract).validates) {
      value = await validatePayload(contract.schema, data, subject, direction, `${direction}; nothing was sent`);
    }
    const codec = this.writer(contract);
    return { bytes: codec.encode(value, subject), headers: this.headersFor(codec, headers) };
  }

  /**
   * Decodes with the codec the message's Content-Type names (none: JSON): the contract's
   * or bus's codec when it matches, JSON otherwise; anything else is refused with
   * EB_ERR_UNSUPPORTED_CONTENT_TYPE. Then turns the contract's date paths into Dates.
   */
  decode(contract: AnyContract | undefined, subject: string, message: InboundMessage, reader: string): unknown {
    const expected = this.writer(contract);
    const type = contentTypeOf(message);
    let codec: Codec;
    if (type === expected.contentType) codec = expected;
    else if (type === JSON_CONTENT_TYPE) codec = this.#json;
    else {
      const accepted = [...new Set([expected.contentType, JSON_CONTENT_TYPE])].join(" and ");
      throw new EventBusError(
        ErrorCodes.UNSUPPORTED_CONTENT_TYPE,
        `message on "${subject}" has Content-Type "${type}", but ${reader} decodes only ${accepted}; ` +
          `give the ${contract ? `contract of "${contract.subject}"` : "bus"} a codec for "${type}", or make the publisher send ${expected.contentType}`,
      );
    }
    const value = codec.decode(message.data, subject);
    if (!contract) return value;
    const { datePaths } = contractInternals(contract);
    return datePaths.length === 0 ? value : reviveDates(value, datePaths);
  }

  /** Checks a decoded payload against the contract (a value, or a promise for async validators). */
  static validateIncoming(contract: AnyContract, value: unknown, subject: string, where: string): unknown {
    if (!contractInternals(contract).validates) return value;
    return validatePayload(contract.schema, value, subject, "consume", where);
  }

  /** Checks a reply against the contract's reply schema, if it has one. */
  static validateReply(schema: StandardSchemaV1 | undefined, value: unknown, subject: string, where: string): unknown {
    if (!schema) return value;
    return validatePayload(schema, value, subject, "reply" satisfies ValidationError["direction"], where);
  }
}
