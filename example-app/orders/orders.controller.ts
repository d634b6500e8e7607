import { randomUUID } from "node:crypto";
import type { Request, Response } from "express";
import { injectable } from "tsyringe";
import { EventPublisher, RemoteError } from "express-nats-events";
import { ORDER_CREATED, QUOTE_REQUESTED, type OrderCreated, type Quote, type QuoteRequest } from "./order-events.js";

/** Route handlers as a class: tsyringe injects the EventPublisher. */
@injectable()
export class OrdersController {
  constructor(private readonly events: EventPublisher) {}

  async create(req: Request, res: Response): Promise<void> {
    const { sku, quantity, email } = (req.body ?? {}) as Partial<OrderCreated>;
    if (typeof sku !== "string" || !Number.isInteger(quantity) || (quantity as number) < 1 || typeof email !== "string") {
      res.status(400).json({ error: "INVALID_ORDER", message: 'expected {"sku": string, "quantity": integer >= 1, "email": string}' });
      return;
    }
    const order: OrderCreated = { id: randomUUID(), sku, quantity: quantity as number, email };
    // msgId: if the client retries this request, JetStream stores the event only once.
    await this.events.publish(ORDER_CREATED, order, { msgId: order.id });
    res.status(202).json(order);
  }

  /** Many orders at once: publishAll keeps up to 256 publishes in flight instead of one round trip each. */
  async createMany(req: Request, res: Response): Promise<void> {
    const { count, sku = "BOOK-1", email = "bulk@example.com" } = (req.body ?? {}) as { count?: number; sku?: string; email?: string };
    if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 100_000) {
      res.status(400).json({ error: "INVALID_BULK", message: 'expected {"count": integer 1..100000, "sku"?: string, "email"?: string}' });
      return;
    }
    const orders = Array.from({ length: count as number }, (): OrderCreated => ({ id: randomUUID(), sku, quantity: 1, email }));
    const started = performance.now();
    const receipts = await this.events.publishAll(orders.map((order) => ({ subject: ORDER_CREATED, data: order, options: { msgId: order.id } })));
    res.status(202).json({ published: receipts.length, duplicates: receipts.filter((r) => r.duplicate).length, ms: Math.round(performance.now() - started) });
  }

  async quote(req: Request<{ sku: string }>, res: Response): Promise<void> {
    try {
      const quote = await this.events.request<Quote>(QUOTE_REQUESTED, { sku: req.params.sku } satisfies QuoteRequest);
      res.json(quote);
    } catch (err) {
      if (err instanceof RemoteError && err.remoteCode === "UNKNOWN_SKU") {
        res.status(404).json({ error: err.remoteCode, message: err.remoteMessage });
        return;
      }
      throw err; // no responders → 503, timeout → 504: eventBusErrorHandler() answers those
    }
  }
}
