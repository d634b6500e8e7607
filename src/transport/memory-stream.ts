import type { StreamOptions } from "../bus/options.js";
import type { MessageHeaders } from "./transport.js";

/** One message as a durable in-memory stream keeps it. */
export interface StoredMessage {
  readonly stream: string;
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MessageHeaders;
  /** When it was stored, on the store's clock. */
  readonly time: Date;
}

/** JetStream's default duplicate window (StreamOptions.duplicateWindowMs). */
export const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60_000;

/**
 * The in-memory counterpart of one JetStream stream with limits retention: messages
 * stay until deleted, sequence numbers only grow, and a msgId seen within the
 * duplicate window stores nothing and answers with the first message's sequence.
 */
export class MemoryStream {
  readonly name: string;
  readonly subjects: readonly string[];
  /** Its configuration (what it allows: allowSchedules, allowMessageTtl). */
  readonly options: StreamOptions;
  readonly #duplicateWindowMs: number;
  readonly #messages = new Map<number, StoredMessage>();
  readonly #msgIds = new Map<string, { seq: number; at: number }>();
  #lastSeq = 0;

  constructor(options: StreamOptions) {
    this.name = options.name;
    this.subjects = options.subjects;
    this.options = options;
    this.#duplicateWindowMs = options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  append(subject: string, data: Uint8Array, headers: MessageHeaders, msgId: string | undefined, now: number): { seq: number; duplicate: boolean } {
    const slot = this.reserve(msgId, now);
    if (slot.duplicate) return slot;
    // JetStream carries the dedupe id to consumers as the Nats-Msg-Id header.
    const stored = msgId === undefined ? headers : { ...headers, "Nats-Msg-Id": msgId };
    this.#messages.set(slot.seq, { stream: this.name, seq: slot.seq, subject, data, headers: stored, time: new Date(now) });
    return slot;
  }

  /**
   * A sequence number, with `msgId` entering the dedupe window, and no message stored under it
   * (consumers skip it like a deleted one): where a delayed message waits until it is due.
   */
  reserve(msgId: string | undefined, now: number): { seq: number; duplicate: boolean } {
    if (msgId !== undefined) {
      const seen = this.#msgIds.get(msgId);
      if (seen && now - seen.at < this.#duplicateWindowMs) return { seq: seen.seq, duplicate: true };
    }
    const seq = ++this.#lastSeq;
    if (msgId !== undefined) this.#msgIds.set(msgId, { seq, at: now });
    return { seq, duplicate: false };
  }

  get(seq: number): StoredMessage | undefined {
    return this.#messages.get(seq);
  }

  delete(seq: number): boolean {
    return this.#messages.delete(seq);
  }

  /** Every message still stored, oldest first. */
  all(): StoredMessage[] {
    return [...this.#messages.values()];
  }
}
