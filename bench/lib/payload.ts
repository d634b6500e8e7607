/**
 * The message every scenario sends: a realistic JSON event of about 200 bytes
 * (207 with a 6-digit `seq`). `seq` changes per message, so each one is really
 * stringified and parsed.
 */
export interface OrderEvent {
  seq: number;
  type: string;
  orderId: string;
  customer: string;
  items: Array<{ sku: string; qty: number; price: number }>;
  total: number;
  currency: string;
}

export function makePayload(seq = 0): OrderEvent {
  return {
    seq,
    type: "order.created",
    orderId: "ord_7f3a9c21",
    customer: "cus_000042",
    items: [
      { sku: "SKU-1001", qty: 2, price: 19.99 },
      { sku: "SKU-2002", qty: 1, price: 5.5 },
    ],
    total: 45.48,
    currency: "EUR",
  };
}

/** Encoded size of a typical message (seq with 6 digits). */
export const PAYLOAD_BYTES = new TextEncoder().encode(JSON.stringify(makePayload(123_456))).length;
