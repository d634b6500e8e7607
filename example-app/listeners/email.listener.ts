import { injectable } from "tsyringe";
import { Listen, type MessageContext } from "express-nats-events";
import { Mailer } from "../notifications/mailer.js";
import { OrderCreated } from "../orders/order-events.js";

@injectable()
export class OrderEmailListener {
  constructor(private readonly mailer: Mailer) {}

  /** Queue group "emails": each order is mailed once, however many listener processes run. */
  @Listen(OrderCreated, "emails")
  async onOrderCreated(order: OrderCreated, ctx: MessageContext): Promise<void> {
    await this.mailer.send(order.email, `Order ${order.id} confirmed (${ctx.subject})`);
  }
}
