/** The events of the orders service: subjects and payloads, shared by publisher and listeners. */
export const ORDER_CREATED = "order.created";
export const QUOTE_REQUESTED = "quote.get";

export interface OrderCreated {
  id: string;
  sku: string;
  quantity: number;
  email: string;
}

export interface QuoteRequest {
  sku: string;
}

export interface Quote {
  sku: string;
  unitPrice: number;
  currency: "EUR";
  /** Which worker process answered, so queue-group load balancing is visible. */
  worker: string;
}
