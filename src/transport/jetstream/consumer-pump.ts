import { ErrorCodes, EventBusError } from "../../errors.js";
import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import type { Delivery, MessageHeaders, Settlement, Subscription } from "../transport.js";
import { fromNatsHeaders, headerOf } from "../nats-core.js";

/**
 * Pulls from one durable consumer and hands messages over with at most
 * `concurrency` unsettled at once (consume() callbacks cannot await, so we use its
 * iterator and stop taking messages while the limit is reached). While a handler
 * runs longer than half of ackWait it sends "working" so the server does not
 * redeliver it mid-way. drain() stops pulling, gives buffered messages back at once
 * (nak) so other members get them, and waits for the handlers in flight.
 */
export class ConsumerPump implements Subscription {
  readonly closed: Promise<Error | undefined>;
  readonly #inFlight = new Map<JsMsg, number>();
  #messages: ConsumerMessages | undefined;
  #stopping = false;
  #capacity: (() => void) | undefined;
  #idle: (() => void) | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly consumer: Consumer,
    private readonly concurrency: number,
    private readonly ackWaitMs: number,
    private readonly deliver: (delivery: Delivery) => Promise<void>,
    /** The connected server's version: decides whether term() may carry a reason. */
    private readonly serverVersion: () => string | undefined = () => undefined,
  ) {
    this.closed = this.#run();
  }

  async drain(): Promise<void> {
    this.#stopping = true;
    await this.#messages?.close();
    await this.closed;
  }

  async #run(): Promise<Error | undefined> {
    this.#heartbeat = setInterval(() => this.#sendWorking(), Math.max(250, this.ackWaitMs / 4));
    this.#heartbeat.unref();
    try {
      this.#messages = await this.consumer.consume({ max_messages: this.concurrency });
      for await (const msg of this.#messages) {
        if (this.#stopping) {
          msg.nak(); // buffered but not started: back to the stream for the other members
          continue;
        }
        this.#inFlight.set(msg, Date.now());
        void this.deliver(new JetStreamDelivery(msg, this.serverVersion)).finally(() => this.#settled(msg));
        if (this.#inFlight.size >= this.concurrency) await new Promise<void>((resolve) => (this.#capacity = resolve));
      }
      return undefined;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    } finally {
      if (this.#inFlight.size > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
      clearInterval(this.#heartbeat);
    }
  }

  #settled(msg: JsMsg): void {
    this.#inFlight.delete(msg);
    const wake = this.#capacity;
    this.#capacity = undefined;
    wake?.();
    if (this.#inFlight.size === 0) this.#idle?.();
  }

  #sendWorking(): void {
    const due = Date.now() - this.ackWaitMs / 2;
    for (const [msg, since] of this.#inFlight) {
      if (since > due) continue;
      msg.working();
      this.#inFlight.set(msg, Date.now());
    }
  }
}

/**
 * "+TERM <reason>" is understood from nats-server 2.11 on; older servers ignore the
 * whole ack, so the message would stay pending and come back after ackWait.
 */
export function termTakesReason(version: string | undefined): boolean {
  const [major = 0, minor = 0] = (version ?? "").split(".").map((part) => Number.parseInt(part, 10) || 0);
  return major > 2 || (major === 2 && minor >= 11);
}

class JetStreamDelivery implements Delivery, Settlement {
  readonly reply = undefined;
  #headers: MessageHeaders | undefined;

  constructor(
    private readonly msg: JsMsg,
    private readonly serverVersion: () => string | undefined,
  ) {}

  get subject(): string {
    return this.msg.subject;
  }
  get data(): Uint8Array {
    return this.msg.data;
  }
  get headers(): MessageHeaders {
    return (this.#headers ??= fromNatsHeaders(this.msg.headers));
  }
  header(name: string): string | undefined {
    return headerOf(this.msg.headers, name);
  }
  get deliveryCount(): number {
    return this.msg.info.deliveryCount;
  }
  get source(): { stream: string; seq: number } {
    return { stream: this.msg.info.stream, seq: this.msg.seq };
  }
  get settlement(): Settlement {
    return this;
  }

  respond(): void {
    throw new EventBusError(ErrorCodes.INVALID_LISTENER, `cannot answer the JetStream message on "${this.msg.subject}": it has no reply subject (request-reply listeners need durable: false)`);
  }

  /** Fire-and-forget: a lost ack means a redelivery, which at-least-once allows. */
  async ack(): Promise<void> {
    this.msg.ack();
  }
  nak(delayMs: number): void {
    this.msg.nak(delayMs);
  }
  term(reason: string): void {
    if (termTakesReason(this.serverVersion())) this.msg.term(reason);
    else this.msg.term();
  }
}
