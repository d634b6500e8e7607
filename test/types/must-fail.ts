/**
 * Every `@ts-expect-error` line must fail to compile; if a change makes one of them
 * compile, tsc reports "Unused '@ts-expect-error' directive" and the type test fails.
 */
import type { EventBus, EventPublisher, MessageContext } from "express-nats-events";
import { Listen, defineEvent } from "express-nats-events";
import { z } from "zod";
import { AuditLogged, OrderCreated, QuoteRequested } from "./contracts.js";

declare const events: EventPublisher;
declare const bus: EventBus;

export async function wrongPayloads(): Promise<void> {
  const order = { id: "o-1", quantity: 2, placedAt: new Date(), items: [] };
  // @ts-expect-error: quantity must be a number
  await events.publish(OrderCreated, { ...order, quantity: "2" });
  // @ts-expect-error: placedAt must be a Date, not its ISO string
  await events.publish("types.order.created", { ...order, placedAt: "2024-01-01T00:00:00Z" });
  // @ts-expect-error: id is missing
  await bus.publish(OrderCreated, { quantity: 1, placedAt: new Date(), items: [] });
  // @ts-expect-error: an unknown property (excess property check)
  await events.publish(AuditLogged, { actor: "ann", action: "create", extra: 1 });
  // @ts-expect-error: action is a closed union
  await events.publish("types.audit.logged", { actor: "ann", action: "update" });
  // @ts-expect-error: the payload is required (it cannot be undefined)
  await events.publish(OrderCreated);
  // @ts-expect-error: a plain EventMap payload type is checked too
  await events.publish("types.plain", { n: "1" });
  // @ts-expect-error: the request payload is checked
  await events.request(QuoteRequested, { sku: 1 });
  const quote = await events.request(QuoteRequested, { sku: "BOOK-1" });
  // @ts-expect-error: the reply has no such field
  void quote.currency;
  // @ts-expect-error: delayMs and at exclude each other
  await events.publish("types.plain", { n: 1 }, { delayMs: 1_000, at: new Date() });
  // @ts-expect-error: at is a Date, not an ISO string
  await bus.publish(OrderCreated, { id: "o-1", quantity: 1, placedAt: new Date(), items: [] }, { at: "2030-01-01T00:00:00Z" });
}

export async function unknownSubjects(): Promise<void> {
  // @ts-expect-error: a typo in a declared subject
  await events.publish("types.order.craeted", {});
  // @ts-expect-error: an undeclared literal subject, once EventMap declares subjects
  await bus.publish("types.nobody.declared.this", { a: 1 });
  // @ts-expect-error: requests too
  await events.request("types.quote.gte", { sku: "x" });
}

export class WrongHandlers {
  // @ts-expect-error: the handler expects a quantity string; the contract delivers a number
  @Listen(OrderCreated)
  onOrder(order: { quantity: string }): void {
    void order;
  }

  // @ts-expect-error: placedAt arrives as a Date (the contract's dates option), not a string
  @Listen("types.order.created", "group")
  onOrderString(order: { placedAt: string }, ctx: MessageContext): void {
    void order;
    void ctx;
  }

  // @ts-expect-error: the responder must return the reply type
  @Listen(QuoteRequested, "quote-workers", { durable: false })
  quote(request: { sku: string }): { sku: string } {
    return request;
  }

  // @ts-expect-error: a typo in a declared subject
  @Listen("types.order.craeted")
  typo(): void {}
}

// @ts-expect-error: dates must name Date paths of the payload
defineEvent("types.bad.dates", z.object({ at: z.string() }), { dates: ["at"] });
// @ts-expect-error: no such path
defineEvent("types.bad.path", z.object({ at: z.date() }), { dates: ["when"] });
// @ts-expect-error: the schema must be a Standard Schema
defineEvent("types.bad.schema", { parse: (value: unknown) => value });
