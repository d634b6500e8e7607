import { ErrorCodes, EventBusError } from "../../errors.js";
import type { JsMsg } from "@nats-io/jetstream";
import type { Delivery, MessageHeaders, Settlement } from "../transport.js";
import { fromNatsHeaders, headerOf } from "../nats-core.js";
import { serverSupports } from "../server-capabilities.js";

/**
 * "+TERM <reason>" is understood from nats-server 2.11 on; older servers ignore the
 * whole ack, so the message would stay pending and come back after ackWait.
 */
export function termTakesReason(version: string | undefined): boolean {
  return serverSupports("term with reason", version);
}

export class JetStreamDelivery implements Delivery, Settlement {
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
  ack(): void {
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
