/** Every line here must compile: the typed paths accept what the contracts say. */
import type { EventBus, EventPublisher, MessageContext, PayloadInput, PayloadOutput } from "express-nats-events";
import { Listen } from "express-nats-events";
import { AuditLogged, OrderCreated, Ping, QuoteRequested, type AuditEntry } from "./contracts.js";

declare const events: EventPublisher;
declare const bus: EventBus;
declare const dynamicSubject: string;

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;

export async function publishes(): Promise<void> {
  const order = { id: "o-1", quantity: 2, placedAt: new Date(), items: [{ sku: "BOOK-1" }] };
  // By contract object and by subject string (declared in EventMap).
  await events.publish(OrderCreated, order);
  await events.publish("types.order.created", order, { msgId: order.id });
  await bus.publish(OrderCreated, { ...order, note: "gift" });
  await events.publish(AuditLogged, { actor: "ann", action: "create" });
  await events.publish("types.plain", { n: 1 });
  // A payload that may be undefined can be left out.
  await events.publish(Ping);
  await events.publish("types.ping", { at: 1 });
  // Untyped quick use: a string-typed subject takes anything.
  await events.publish(dynamicSubject, { whatever: true });
  await events.publish(dynamicSubject);

  // Request-reply: the reply type comes from the contract's reply schema.
  const quote = await events.request(QuoteRequested, { sku: "BOOK-1" });
  assertType<Equal<typeof quote, { sku: string; unitPrice: number }>>();
  const byString = await bus.request("types.quote.get", { sku: "MUG-2" }, { timeout: 1000 });
  assertType<Equal<typeof byString, { sku: string; unitPrice: number }>>();
  // Untyped requests keep the explicit reply type.
  const untyped = await events.request<{ total: number }>(dynamicSubject, { items: [] });
  assertType<Equal<typeof untyped, { total: number }>>();
  const unknownReply = await events.request(dynamicSubject);
  assertType<Equal<typeof unknownReply, unknown>>();
  // Delayed and expiring publishes (delayMs or at, and ttlMs).
  await events.publish("types.plain", { n: 1 }, { delayMs: 60_000, ttlMs: 3_600_000, msgId: "n-1" });
  await bus.publish(OrderCreated, order, { at: new Date(Date.now() + 60_000) });
  await events.publishAll([{ subject: "types.plain", data: { n: 1 }, options: { at: new Date() } }]);
}

// Input and output types differ where the schema transforms or defaults.
assertType<Equal<PayloadInput<typeof AuditLogged>, AuditEntry>>();
assertType<Equal<PayloadOutput<"types.audit.logged">, AuditEntry>>();
assertType<Equal<PayloadOutput<typeof OrderCreated>["placedAt"], Date>>();

export class Listeners {
  @Listen(OrderCreated, "emails")
  onOrder(order: PayloadOutput<typeof OrderCreated>, ctx: MessageContext): void {
    void order.placedAt.toISOString();
    void ctx.subject;
  }

  // A handler may take less than the payload (a supertype) or nothing at all.
  @Listen("types.order.created")
  onOrderId(order: { id: string }): void {
    void order.id;
  }

  @Listen(AuditLogged)
  async onAudit(): Promise<void> {}

  // A responder returns the reply type (or a promise of it).
  @Listen(QuoteRequested, "quote-workers", { durable: false })
  quote(request: { sku: string }): { sku: string; unitPrice: number } {
    return { sku: request.sku, unitPrice: 1 };
  }

  @Listen("types.quote.get")
  async quoteLater(request: { sku: string }): Promise<{ sku: string; unitPrice: number }> {
    return { sku: request.sku, unitPrice: 2 };
  }

  // Wildcards and string-typed subjects are untyped.
  @Listen("types.>")
  everything(data: unknown): void {
    void data;
  }

  @Listen("types.order.*")
  anyOrder(data: { whatever: number }): void {
    void data;
  }

  @Listen(dynamicSubject)
  dynamic(data: { anything: boolean }): void {
    void data;
  }
}
