import type { Clock } from "../clock.js";
import { ErrorCodes, EventBusError } from "../errors.js";
import { subjectMatches } from "../subject.js";
import type { MemoryActivity } from "./memory-activity.js";
import type { MemoryStream, StoredMessage } from "./memory-stream.js";
import type { Deliver, Delivery, Subscription } from "./transport.js";
import { whenDelivered } from "./transport.js";

/** One subscribed process's share of a consumer. */
export interface MemoryMembership extends Subscription {
  close(): void;
}

interface Member {
  readonly concurrency: number;
  readonly deliver: Deliver;
  inFlight: number;
  /** What it was handed and has not settled: seq → the delivery's token. */
  readonly held: Map<number, symbol>;
  /** Closed without drain: its settlements no longer count, as from a process that is gone. */
  closed: boolean;
  /** Resolves drain() once nothing of this member runs any more. */
  idle?: () => void;
  end: () => void;
}

/**
 * The in-memory counterpart of one durable pull consumer with explicit acks: every
 * member (one per subscribed process of a queue group, or of a listener) gets at most
 * `concurrency` unsettled messages; ack removes a message, nak(delay) hands it out again
 * once the clock passed the delay, term drops it; a delivery that ends unsettled (its
 * process closed without drain) comes back after ackWait. Delivery counts are kept per
 * message, like the server's `num_delivered`.
 */
export class MemoryConsumer {
  #cursor = 1;
  readonly #ready: number[] = [];
  /** Delivered and not settled: the settlement that may still settle each one. */
  readonly #pending = new Map<number, symbol>();
  readonly #deliveries = new Map<number, number>();
  readonly #members: Member[] = [];
  #turn = 0;
  #scheduled = false;

  constructor(
    readonly stream: MemoryStream,
    readonly name: string,
    readonly filter: string,
    private readonly ackWaitMs: number,
    private readonly clock: Clock,
    private readonly activity: MemoryActivity,
  ) {}

  /** Messages in the stream not yet delivered, plus those waiting for redelivery now. */
  get pending(): number {
    let fresh = 0;
    for (let seq = this.#cursor; seq <= this.stream.lastSeq; seq++) if (this.#matches(this.stream.get(seq))) fresh++;
    return fresh + this.#ready.length;
  }

  /** Delivered and not acknowledged yet. */
  get ackPending(): number {
    return this.#pending.size;
  }

  /** Delivered more than once and not acknowledged yet. */
  get redelivered(): number {
    let count = 0;
    for (const deliveries of this.#deliveries.values()) if (deliveries > 1) count++;
    return count;
  }

  /** Adds a member; drain() stops it taking messages and waits for those it holds, close() only stops it. */
  attach(concurrency: number, deliver: Deliver): MemoryMembership {
    let end!: (error: undefined) => void;
    const closed = new Promise<undefined>((resolve) => (end = resolve));
    const member: Member = { concurrency, deliver, inFlight: 0, held: new Map(), closed: false, end: () => end(undefined) };
    this.#members.push(member);
    this.notify();
    return {
      closed,
      drain: async () => {
        this.#detach(member);
        if (member.inFlight > 0) await new Promise<void>((resolve) => (member.idle = resolve));
        member.end();
      },
      close: () => {
        // What it holds comes back after ackWait, as from a process that died.
        this.#detach(member);
        member.closed = true;
        for (const [seq, token] of member.held) this.#redeliverAfter(seq, this.ackWaitMs, token);
        member.end();
      },
    };
  }

  /** Something changed (a publish, a free slot, a retry due): hand out what can be handed out, off the caller's stack. */
  notify(): void {
    if (this.#scheduled || this.#members.length === 0) return;
    this.#scheduled = true;
    const done = this.activity.begin(`hand-over on consumer ${this.name}`);
    setImmediate(() => {
      this.#scheduled = false;
      this.#dispatch();
      done();
    });
  }

  #detach(member: Member): void {
    const index = this.#members.indexOf(member);
    if (index >= 0) this.#members.splice(index, 1);
  }

  #dispatch(): void {
    for (;;) {
      const member = this.#freeMember();
      if (!member) return;
      const message = this.#next();
      if (!message) return;
      this.#hand(member, message);
    }
  }

  #freeMember(): Member | undefined {
    for (let i = 0; i < this.#members.length; i++) {
      const member = this.#members[(this.#turn + i) % this.#members.length]!;
      if (member.inFlight < member.concurrency) {
        this.#turn = (this.#turn + i + 1) % this.#members.length;
        return member;
      }
    }
    return undefined;
  }

  /** Redeliveries first, then the next message of the stream this consumer has not seen. */
  #next(): StoredMessage | undefined {
    while (this.#ready.length > 0) {
      const seq = this.#ready.shift()!;
      const message = this.stream.get(seq);
      if (message) return message;
      this.#deliveries.delete(seq); // deleted from the stream meanwhile
    }
    while (this.#cursor <= this.stream.lastSeq) {
      const message = this.stream.get(this.#cursor++);
      if (this.#matches(message)) return message;
    }
    return undefined;
  }

  #matches(message: StoredMessage | undefined): message is StoredMessage {
    return message !== undefined && subjectMatches(this.filter, message.subject);
  }

  #hand(member: Member, message: StoredMessage): void {
    const { seq } = message;
    const deliveryCount = (this.#deliveries.get(seq) ?? 0) + 1;
    this.#deliveries.set(seq, deliveryCount);
    const token = Symbol(`${this.name}#${seq}`);
    this.#pending.set(seq, token);
    member.held.set(seq, token);
    member.inFlight++;
    const done = this.activity.begin(`${this.name}: message ${message.stream}#${seq} on "${message.subject}" (delivery ${deliveryCount})`);
    // A settlement counts only while this delivery is the one the consumer waits for.
    const settle = (): boolean => {
      if (member.closed || this.#pending.get(seq) !== token) return false;
      this.#pending.delete(seq);
      member.held.delete(seq);
      return true;
    };
    const delivery: Delivery = {
      subject: message.subject,
      data: message.data,
      headers: message.headers,
      reply: undefined,
      deliveryCount,
      source: { stream: message.stream, seq },
      respond: () => {
        throw new EventBusError(ErrorCodes.INVALID_LISTENER, `cannot answer the stored message ${message.stream}#${seq} on "${message.subject}": it has no reply subject`);
      },
      settlement: {
        ack: () => {
          if (settle()) this.#deliveries.delete(seq);
        },
        nak: (delayMs) => {
          if (settle()) this.#redeliverAfter(seq, delayMs);
        },
        term: () => {
          if (settle()) this.#deliveries.delete(seq);
        },
      },
    };
    whenDelivered(member.deliver(delivery), () => {
      member.inFlight--;
      // Ended without an ack, nak or term: like the server, wait ackWait, then deliver it again.
      if (!member.closed && member.held.get(seq) === token) {
        member.held.delete(seq);
        this.#redeliverAfter(seq, this.ackWaitMs, token);
      }
      if (member.inFlight === 0) member.idle?.();
      this.notify();
      done();
    });
  }

  #redeliverAfter(seq: number, delayMs: number, stillPending?: symbol): void {
    const due = () => {
      if (stillPending !== undefined) {
        if (this.#pending.get(seq) !== stillPending) return;
        this.#pending.delete(seq);
      }
      this.#ready.push(seq);
      this.notify();
    };
    if (delayMs <= 0 && stillPending === undefined) return due();
    this.clock.schedule(delayMs, due);
  }
}
