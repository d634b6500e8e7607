/** The code of docs/contracts.md, compiled by the type tests so the page stays true. */
import { randomUUID } from "node:crypto";
import * as v from "valibot";
import { z } from "zod";
import { JsonCodec, Listen, defineEvent, unchecked, type EventPublisher, type MessageContext, type PayloadInput, type PayloadOutput, type ReplyOutput } from "express-nats-events";
import { MessagePackCodec } from "express-nats-events/msgpack";

declare const events: EventPublisher;
declare const mailer: { send(to: string, text: string): Promise<void> };

export const OrderCreated = defineEvent(
  "docs.order.created",
  z.object({ id: z.uuid(), sku: z.string().min(1), quantity: z.number().int().min(1), email: z.email(), placedAt: z.date() }),
  { dates: ["placedAt"] },
);
export type OrderCreated = PayloadOutput<typeof OrderCreated>;

export async function publisher(sku: string, quantity: number, email: string): Promise<void> {
  await events.publish(OrderCreated, { id: randomUUID(), sku, quantity, email, placedAt: new Date() });
}

export class EmailListener {
  @Listen(OrderCreated, "emails")
  async onOrderCreated(order: OrderCreated, ctx: MessageContext): Promise<void> {
    await mailer.send(order.email, `Order ${order.id} placed at ${order.placedAt.toISOString()} (${ctx.subject})`);
  }
}

export const StockChanged = defineEvent("docs.stock.changed", v.object({ sku: v.string(), delta: v.pipe(v.number(), v.integer()) }));

export interface AuditEntry {
  actor: string;
  action: "create" | "delete";
}
export const AuditLogged = defineEvent("docs.audit.logged", unchecked<AuditEntry>());

export const SensorReading = defineEvent(
  "docs.sensor.reading",
  z.object({ sensorId: z.string(), values: z.array(z.number()), takenAt: z.date() }),
  { codec: new MessagePackCodec({ keys: "snake_case" }), dates: ["takenAt"] },
);

export const QuoteRequested = defineEvent("docs.quote.get", z.object({ sku: z.string().min(1) }), {
  reply: z.object({ sku: z.string(), unitPrice: z.number().positive(), currency: z.literal("EUR"), worker: z.string() }),
});
type QuoteRequest = PayloadInput<typeof QuoteRequested>;
type Quote = ReplyOutput<typeof QuoteRequested>;

export class QuoteWorker {
  @Listen(QuoteRequested, "quote-workers", { durable: false })
  quote(request: QuoteRequest): Quote {
    return { sku: request.sku, unitPrice: 1, currency: "EUR", worker: `pid ${process.pid}` };
  }
}

export async function requester(sku: string): Promise<number> {
  const quote = await events.request(QuoteRequested, { sku });
  return quote.unitPrice;
}

export const OrderPlaced = defineEvent(
  "docs.order.placed",
  z.object({
    orderId: z.string(),
    quantity: z.number().int().min(1),
    customer: z.object({ email: z.email(), memberSince: z.date() }),
    lineItems: z.array(z.object({ productSku: z.string(), unitPrice: z.number() })),
    placedAt: z.date(),
  }),
  { codec: new JsonCodec({ keys: "snake_case" }), dates: ["placedAt", "customer.memberSince"] },
);

export async function untyped(subject: string): Promise<void> {
  await events.publish(subject, { anything: true });
  await events.publish("docs.not.declared" as string, { anything: true });
}
