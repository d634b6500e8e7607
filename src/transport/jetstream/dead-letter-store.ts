import type { JetStreamManager } from "@nats-io/jetstream";
import { ErrorCodes, EventBusError } from "../../errors.js";
import { DeadLetterHeaders } from "../../listeners/dead-letter.js";
import { fromNatsHeaders } from "../nats-core.js";
import { unavailableError } from "./unavailable.js";
import type { MessageHeaders, Transport } from "../transport.js";

export interface DeadLetter {
  readonly seq: number;
  readonly time: Date;
  readonly originalSubject: string;
  readonly listener: string;
  readonly reason: string;
  readonly deliveryCount: string;
  readonly error: string;
  readonly headers: MessageHeaders;
  readonly data: Uint8Array;
}

/** A stored dead-letter message as the CLI, the dashboard and the testing kit show it: its Eb-* headers read out ("?" where one is missing). */
export function deadLetterFrom(message: { seq: number; time: Date; headers: MessageHeaders; data: Uint8Array }): DeadLetter {
  const { headers } = message;
  return {
    seq: message.seq,
    time: message.time,
    originalSubject: headers[DeadLetterHeaders.originalSubject] ?? "?",
    listener: headers[DeadLetterHeaders.listener] ?? "?",
    reason: headers[DeadLetterHeaders.reason] ?? "?",
    deliveryCount: headers[DeadLetterHeaders.deliveryCount] ?? "?",
    error: headers[DeadLetterHeaders.error] ?? "",
    headers,
    data: message.data,
  };
}

/** Reads and replays the dead letters kept in the dead-letter stream (limits retention: they stay until read and removed). */
export class DeadLetterStore {
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
  ) {}

  /** The oldest `limit` dead letters still in the stream. */
  async list(limit: number): Promise<DeadLetter[]> {
    const info = await this.jsm.streams.info(this.stream).catch((err: unknown) => {
      throw this.#unavailable(err) ?? err;
    });
    const letters: DeadLetter[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && letters.length < limit; seq++) {
      const letter = await this.get(seq);
      if (letter) letters.push(letter);
    }
    return letters;
  }

  async get(seq: number): Promise<DeadLetter | undefined> {
    const stored = await this.jsm.streams.getMessage(this.stream, { seq }).catch((err: unknown) => {
      const unavailable = this.#unavailable(err);
      if (unavailable) throw unavailable;
      return null;
    });
    if (!stored) return undefined; // deleted (already replayed) or never existed
    return deadLetterFrom({ seq, time: stored.time, headers: fromNatsHeaders(stored.header), data: stored.data });
  }

  /** No leader, a timeout: the dead letters are there, the cluster cannot hand them out now. */
  #unavailable(err: unknown): EventBusError | undefined {
    return unavailableError(`the dead-letter stream "${this.stream}"`, err, this.jsm.getOptions().timeout);
  }

  /**
   * Publishes the original bytes and headers (without our Eb-* diagnosis headers)
   * to the original subject, then removes the dead letter. The msgId makes a
   * replay that is interrupted and run again store the message only once.
   */
  async replay(letter: DeadLetter, transport: Transport): Promise<void> {
    if (!letter.headers[DeadLetterHeaders.originalSubject]) {
      throw new EventBusError(
        ErrorCodes.CONFIG,
        `dead letter #${letter.seq} in stream ${this.stream} has no ${DeadLetterHeaders.originalSubject} header (it was not written by express-nats-events), so there is nowhere to replay it to`,
      );
    }
    const headers = Object.fromEntries(Object.entries(letter.headers).filter(([key]) => !key.startsWith("Eb-") && key !== "Nats-Msg-Id"));
    await transport.publish(letter.originalSubject, letter.data, { headers, msgId: `replay-${this.stream}-${letter.seq}` });
    await this.jsm.streams.deleteMessage(this.stream, letter.seq);
  }

  /** Removes the dead letter for good (it is not delivered again). */
  async discard(letter: DeadLetter): Promise<void> {
    await this.jsm.streams.deleteMessage(this.stream, letter.seq);
  }
}
