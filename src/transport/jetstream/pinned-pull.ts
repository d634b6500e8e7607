import type { JetStreamManager } from "@nats-io/jetstream";
import { createInbox, errors as natsErrors, type Msg, type NatsConnection } from "@nats-io/transport-node";
import type { AckableMessage } from "./jetstream-delivery.js";
import { EXCLUSIVE_GROUP } from "./exclusive-consumer.js";
import type { ExclusiveRole } from "../transport.js";

const NS_PER_MS = 1_000_000;
const encoder = new TextEncoder();
const ACK = encoder.encode("+ACK");
const WORKING = encoder.encode("+WPI");

/**
 * The pulls of an exclusive listener (a consumer with the pinned-client priority policy,
 * ADR-42). The server serves one client of the group at a time: the first message it hands a
 * client carries a `Nats-Pin-Id`, and only pulls that repeat that id are served from then on;
 * pulls without it wait (this process stands by), a pull with an id the server no longer holds
 * is answered 423 (another process took over: stand by). nats.js keeps the id per `fetch`
 * iterator only, and the pump sends a fetch per batch, so this sends the pulls itself and keeps
 * the id across them.
 */
export class PinnedPull {
  #pinId: string | undefined;
  #onRole: ((role: ExclusiveRole) => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly consumer: string,
  ) {}

  /** Told each time this process becomes active (a new pin) or stands by (423). */
  onRole(listener: (role: ExclusiveRole) => void): void {
    this.#onRole = listener;
  }

  /** Does the server serve this process now (as far as its last pull knows)? */
  get active(): boolean {
    return this.#pinId !== undefined;
  }

  /**
   * One pull of up to `size` messages, like nats.js's fetch: ends when the batch is full, when
   * the pull expires on the server (408), or when the server took the pin away (423); throws on
   * any other status (409 leadership change or consumer deleted, 503 no leader) and after two
   * missed heartbeats, with the server's words, so the pump's recovery reads them as it reads fetch's.
   */
  async *pull(size: number, expiresMs: number, heartbeatMs: number): AsyncGenerator<AckableMessage> {
    const inbox = createInbox();
    const sub = this.nc.subscribe(inbox);
    let heard = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - heard > 2 * heartbeatMs) sub.unsubscribe();
    }, heartbeatMs);
    const request = { batch: size, expires: expiresMs * NS_PER_MS, idle_heartbeat: heartbeatMs * NS_PER_MS, group: EXCLUSIVE_GROUP, ...(this.#pinId && { id: this.#pinId }) };
    try {
      this.nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${this.stream}.${this.consumer}`, JSON.stringify(request), { reply: inbox });
      let received = 0;
      for await (const msg of sub) {
        heard = Date.now();
        const status = msg.data.length === 0 ? (msg.headers?.code ?? 0) : 0;
        if (status === 0) {
          const pin = msg.headers?.get("Nats-Pin-Id");
          if (pin && pin !== this.#pinId) this.#setPin(pin);
          yield new PinnedMessage(msg);
          if (++received === size) return;
        } else if (status === 423) {
          this.#setPin(undefined);
          return;
        } else if (status === 408 || status === 404) {
          return;
        } else if (status !== 100) {
          throw Object.assign(new Error(msg.headers!.description), { code: status }); // as nats.js's JetStreamStatusError
        }
      }
      // The subscription ended without a status: the connection closed, or the watchdog closed it.
      if (this.nc.isClosed() || this.nc.isDraining()) throw new natsErrors.ClosedConnectionError();
      throw new Error("heartbeats missed");
    } finally {
      clearInterval(watchdog);
      if (!sub.isClosed()) sub.unsubscribe();
    }
  }

  #setPin(pinId: string | undefined): void {
    this.#pinId = pinId;
    this.#onRole?.(pinId ? { role: "active", pinId } : { role: "standby" });
  }

  /**
   * Gives up the pin (a drain): the server picks one of the processes standing by at once
   * instead of after the priority timeout. Best effort: if it fails, the timeout hands over.
   */
  async release(): Promise<void> {
    if (!this.#pinId) return;
    this.#pinId = undefined;
    await this.jsm.consumers.unpin(this.stream, this.consumer, EXCLUSIVE_GROUP).catch(() => undefined);
  }
}

/**
 * A message of a pull this module sent, with what the runner and the pump use of nats.js's
 * JsMsg: the acknowledgement protocol is a message to its reply subject, whose tokens carry the
 * stream, the delivery count and the stream sequence
 * (`$JS.ACK[.<domain>.<account hash>].<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>[.<token>]`).
 */
class PinnedMessage implements AckableMessage {
  readonly info: { readonly stream: string; readonly deliveryCount: number };
  readonly seq: number;

  constructor(private readonly msg: Msg) {
    const tokens = (msg.reply ?? "").split(".");
    const at = tokens.length === 9 ? 2 : 4; // the older form has no domain and account hash
    this.info = { stream: tokens[at]!, deliveryCount: Number(tokens[at + 2]) };
    this.seq = Number(tokens[at + 3]);
  }

  get subject(): string {
    return this.msg.subject;
  }
  get data(): Uint8Array {
    return this.msg.data;
  }
  get headers(): Msg["headers"] {
    return this.msg.headers;
  }
  get reply(): string | undefined {
    return this.msg.reply;
  }

  ack(): void {
    this.msg.respond(ACK);
  }
  nak(delayMs?: number): void {
    this.msg.respond(delayMs ? `-NAK ${JSON.stringify({ delay: delayMs * NS_PER_MS })}` : "-NAK");
  }
  working(): void {
    this.msg.respond(WORKING);
  }
  term(reason?: string): void {
    this.msg.respond(reason ? `+TERM ${reason}` : "+TERM");
  }
}
