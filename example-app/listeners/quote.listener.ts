import { injectable } from "tsyringe";
import { Listen } from "express-nats-events";
import { QuoteRequested, type Quote, type QuoteRequest } from "../orders/order-events.js";

const PRICES: Record<string, number> = { "BOOK-1": 12.5, "MUG-2": 8, "TEE-3": 19.9 };

@injectable()
export class QuoteWorker {
  /**
   * A pool of workers answers quote requests; the API only knows the subject. The returned
   * value is the reply. `durable: false`: a request needs an answer now, not a stored event,
   * so this subscribes with core NATS even when the bus runs on JetStream.
   */
  @Listen(QuoteRequested, "quote-workers", { durable: false })
  quote(request: QuoteRequest): Quote {
    const unitPrice = PRICES[request.sku];
    if (unitPrice === undefined) {
      throw Object.assign(new Error(`unknown sku "${request.sku}"`), { code: "UNKNOWN_SKU" });
    }
    return { sku: request.sku, unitPrice, currency: "EUR", worker: `pid ${process.pid}` };
  }
}
