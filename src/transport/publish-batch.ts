/** One core publish as nats.js takes it. */
type Send = (subject: string, data: Uint8Array, headers: unknown) => void;

/** Held at most this many messages (or bytes of payload): a loop that never yields still writes in chunks. */
const MAX_MESSAGES = 1_024;
const MAX_BYTES = 256 * 1024;

/**
 * Hands core publishes to nats.js together, once the current chain of work ends.
 *
 * Why: nats.js writes its buffer to the socket in a microtask it queues with the first
 * message after a write. Application code awaits each publish, and every `await` lets
 * that microtask run, so each message became a socket write of its own: a syscall per
 * message, three times the CPU of the whole publish (bench scenario 1, `await publish()`:
 * 200,000 writes for 200,000 messages; `writeBuffer` 41 % of the publisher's profile).
 * Held here until the microtasks of the current turn have run (process.nextTick fires
 * after them), a loop or a burst of handlers reaches nats.js in one piece and leaves in
 * one write.
 *
 * Everything that can fail is checked by the caller before `add` (connection state,
 * max_payload, headers), so the promise the caller awaits still rejects for it. Anything
 * else sent on the connection (requests, replies, subscriptions, flush, drain, close)
 * calls `handOver()` first, so the order on the wire stays the order of the calls.
 */
export class PublishBatch {
  #subjects: string[] = [];
  #data: Uint8Array[] = [];
  #headers: unknown[] = [];
  #bytes = 0;
  #scheduled = false;

  constructor(
    private readonly send: Send,
    /** Told when nats.js refused messages at hand-over (the connection closed under them): they were not sent. */
    private readonly onDropped: (count: number, error: unknown) => void,
  ) {}

  get size(): number {
    return this.#subjects.length;
  }

  add(subject: string, data: Uint8Array, headers: unknown): void {
    this.#subjects.push(subject);
    this.#data.push(data);
    this.#headers.push(headers);
    this.#bytes += data.length;
    if (this.#subjects.length >= MAX_MESSAGES || this.#bytes >= MAX_BYTES) return this.handOver();
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#onTick);
    }
  }

  /** Gives nats.js everything held, in order. */
  handOver(): void {
    const count = this.#subjects.length;
    if (count === 0) return;
    const subjects = this.#subjects;
    const data = this.#data;
    const headers = this.#headers;
    this.#subjects = [];
    this.#data = [];
    this.#headers = [];
    this.#bytes = 0;
    for (let index = 0; index < count; index++) {
      try {
        this.send(subjects[index]!, data[index]!, headers[index]);
      } catch (error) {
        // The connection closed between the caller's check and now: the rest cannot go either.
        return this.onDropped(count - index, error);
      }
    }
  }

  readonly #onTick = (): void => {
    this.#scheduled = false;
    this.handOver();
  };
}
