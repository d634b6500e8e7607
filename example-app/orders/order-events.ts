/**
 * The contracts of the orders service: one place declares each subject's payload, shared by
 * the web process that publishes and the listener processes that consume (another service
 * would import this module, or a package made of it). Each schema is checked on publish
 * (nothing invalid is sent) and on receipt (nothing invalid reaches a handler), and the
 * TypeScript types come from the same schemas.
 */
import { defineEvent, type PayloadInput, type PayloadOutput, type ReplyOutput } from "express-nats-events";
import { z } from "zod";

/** What a client posts to create an order (also the core of the event). */
export const OrderRequest = z.object({
  sku: z.string().min(1),
  quantity: z.number().int().min(1),
  email: z.email(),
});

export const OrderCreated = defineEvent(
  "order.created",
  OrderRequest.extend({
    id: z.uuid(),
    /** A Date in TypeScript, an ISO 8601 string on the wire (the `dates` option revives it). */
    placedAt: z.date(),
  }),
  { dates: ["placedAt"] },
);
export type OrderCreated = PayloadOutput<typeof OrderCreated>;

export const OrderCancelled = defineEvent("order.cancelled", z.object({ id: z.string().min(1) }));

/** Request-reply: the request's schema, and with `reply` the answer's. */
export const QuoteRequested = defineEvent("quote.get", z.object({ sku: z.string().min(1) }), {
  reply: z.object({
    sku: z.string(),
    unitPrice: z.number().positive(),
    currency: z.literal("EUR"),
    /** Which worker process answered, so queue-group load balancing is visible. */
    worker: z.string(),
  }),
});
export type QuoteRequest = PayloadInput<typeof QuoteRequested>;
export type Quote = ReplyOutput<typeof QuoteRequested>;
