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

/** What a delivery needs from its connection. */
export interface DeliveryLink {
  /** The connected server's version: decides whether term() may carry a reason. */
  serverVersion(): string | undefined;
  /** Sends a small message to a reply subject with the connection's next batch of publishes (see publish-batch.ts). */
  sendSoon(subject: string, data: Uint8Array): void;
}

/** The JetStream acknowledgement protocol's positive ack, published to the message's reply subject. */
const ACK = new TextEncoder().encode("+ACK");

export class JetStreamDelivery implements Delivery, Settlement {
  readonly reply = undefined;
  #headers: MessageHeaders | undefined;

  constructor(
    private readonly msg: JsMsg,
    private readonly link: DeliveryLink,
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

  /**
   * Fire-and-forget: a lost ack means a redelivery, which at-least-once allows. Sent with the
   * connection's batch rather than by msg.ack(), which writes each ack to the socket on its own
   * (half the CPU of a raw consume loop in bench scenario 4 is those writes).
   */
  ack(): void {
    // The ack subject is the message's reply subject: nats.js's JsMsg has it, untyped (its `info` is parsed from it).
    const reply = (this.msg as { readonly reply?: string }).reply;
    if (reply) this.link.sendSoon(reply, ACK);
    else this.msg.ack();
  }
  nak(delayMs: number): void {
    this.msg.nak(delayMs);
  }
  term(reason: string): void {
    if (termTakesReason(this.link.serverVersion())) this.msg.term(reason);
    else this.msg.term();
  }
}
