/**
 * `express-nats-events/msgpack`: a MessagePack codec, for a bus (`connect({ codec })`) or
 * one contract (`defineEvent(subject, schema, { codec })`). @msgpack/msgpack is an
 * optional peer dependency: importing this entry without it installed rejects with
 * EB_ERR_OPTIONAL_DEPENDENCY; the main entry never loads it.
 */
export { MessagePackCodec, MSGPACK_CONTENT_TYPE, type MessagePackCodecOptions } from "./msgpack-codec.js";
