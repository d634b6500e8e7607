import { injectable } from "tsyringe";
import { Listen } from "express-nats-events";
import { OrderStats } from "../orders/order-stats.js";
import { ORDER_CREATED, type OrderCreated } from "../orders/order-events.js";

@injectable()
export class OrderCounterListener {
  constructor(private readonly stats: OrderStats) {}

  /** Its own queue group, so it gets every order too, independently of the emails group. */
  @Listen(ORDER_CREATED, "order-counter")
  onOrderCreated(order: OrderCreated): void {
    const totals = this.stats.record(order.quantity);
    process.stdout.write(`${JSON.stringify({ event: "order.counted", id: order.id, ...totals, pid: process.pid })}\n`);
  }
}
