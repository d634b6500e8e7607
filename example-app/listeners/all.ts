// Every listener module of the service; the embedded mode imports this one file.
export { OrderEmailListener } from "./email.listener.js";
export { OrderCounterListener } from "./order-counter.listener.js";
export { QuoteWorker } from "./quote.listener.js";
