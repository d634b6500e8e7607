import { injectable } from "tsyringe";
import { Listen, type MessageContext } from "express-nats-events";
import { OrderStats } from "../orders/order-stats.js";
import { OrderCreated } from "../orders/order-events.js";

@injectable()
export class OrderCounterListener {
  constructor(private readonly stats: OrderStats) {}

  /** Its own queue group, so it gets every order too, independently of the emails group. */
  @Listen(OrderCreated, "order-counter")
  onOrderCreated(order: OrderCreated, ctx: MessageContext): void {
    const totals = this.stats.record(order.quantity);
    // The correlation id of the HTTP request that created the order (its X-Correlation-Id header).
    process.stdout.write(`${JSON.stringify({ event: "order.counted", id: order.id, ...totals, correlationId: ctx.correlationId, pid: process.pid })}\n`);
  }
}
