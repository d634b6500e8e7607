/**
 * The Codec seam: values to bytes and back. Transports only ever see bytes.
 * encode() must throw (an EB_ERR_ENCODE EventBusError) before anything is sent;
 * decode() throws EB_ERR_DECODE and the runner keeps such messages away from handlers.
 */
export interface Codec {
  /** The MIME type of what encode() writes (e.g. "application/json"). */
  readonly contentType: string;
  encode(value: unknown, subject: string): Uint8Array;
  decode(bytes: Uint8Array, subject: string): unknown;
}
