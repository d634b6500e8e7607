/** The contracts the type tests use: zod, valibot and unchecked<T>(), plus the EventMap augmentation. */
import * as v from "valibot";
import { z } from "zod";
import { defineEvent, unchecked, type EventMapOf } from "express-nats-events";

export const OrderCreated = defineEvent(
  "types.order.created",
  z.object({
    id: z.string(),
    quantity: z.number().int().min(1),
    placedAt: z.date(),
    items: z.array(z.object({ sku: z.string(), shippedAt: z.date().optional() })),
    note: z.string().optional(),
  }),
  { dates: ["placedAt", "items[].shippedAt"] },
);

export const QuoteRequested = defineEvent("types.quote.get", v.object({ sku: v.string() }), {
  reply: v.object({ sku: v.string(), unitPrice: v.number() }),
});

export interface AuditEntry {
  actor: string;
  action: "create" | "delete";
}
export const AuditLogged = defineEvent("types.audit.logged", unchecked<AuditEntry>());

/** A payload that may be left out: publish(Ping) with no data is fine. */
export const Ping = defineEvent("types.ping", unchecked<undefined | { at: number }>());

declare module "express-nats-events" {
  interface EventMap extends EventMapOf<[typeof OrderCreated, typeof QuoteRequested, typeof AuditLogged, typeof Ping]> {
    /** A plain payload type (no contract object) works too. */
    "types.plain": { n: number };
  }
}
