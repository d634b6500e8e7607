import { randomUUID } from "node:crypto";
import type { Request, Response } from "express";
import { injectable } from "tsyringe";
import { EventPublisher, RemoteError, type PublishAllItem } from "express-nats-events";
import { OrderCreated, OrderRequest, QuoteRequested } from "./order-events.js";

/** Route handlers as a class: tsyringe injects the EventPublisher. */
@injectable()
export class OrdersController {
  constructor(private readonly events: EventPublisher) {}

  async create(req: Request, res: Response): Promise<void> {
    const input = OrderRequest.safeParse(req.body ?? {});
    if (!input.success) {
      const problems = input.error.issues.map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`).join("; ");
      res.status(400).json({ error: "INVALID_ORDER", message: `expected {"sku": string, "quantity": integer >= 1, "email": email address}: ${problems}` });
      return;
    }
    const order = { id: randomUUID(), ...input.data };
    // Type-checked against the contract, validated again by its schema before anything is sent.
    // msgId: if the client retries this request, JetStream stores the event only once.
    await this.events.publish(OrderCreated, { ...order, placedAt: new Date() }, { msgId: order.id });
    res.status(202).json(order);
  }

  /** Many orders at once: publishAll keeps up to 256 publishes in flight instead of one round trip each. */
  async createMany(req: Request, res: Response): Promise<void> {
    const { count, sku = "BOOK-1", email = "bulk@example.com" } = (req.body ?? {}) as { count?: number; sku?: string; email?: string };
    if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 100_000) {
      res.status(400).json({ error: "INVALID_BULK", message: 'expected {"count": integer 1..100000, "sku"?: string, "email"?: string}' });
      return;
    }
    const placedAt = new Date();
    const items = Array.from({ length: count as number }, (): PublishAllItem => {
      const id = randomUUID();
      return { subject: OrderCreated, data: { id, sku, quantity: 1, email, placedAt } satisfies OrderCreated, options: { msgId: id } };
    });
    const started = performance.now();
    const receipts = await this.events.publishAll(items);
    res.status(202).json({ published: receipts.length, duplicates: receipts.filter((r) => r.duplicate).length, ms: Math.round(performance.now() - started) });
  }

  async quote(req: Request<{ sku: string }>, res: Response): Promise<void> {
    try {
      // The reply is typed (Quote) and checked against the contract's reply schema.
      const quote = await this.events.request(QuoteRequested, { sku: req.params.sku });
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
