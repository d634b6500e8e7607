// Configuration of the example service, read by both processes: the web server
// (bus.connect()) and `nats-events register-listeners`. Environment variables
// (NATS_URL, NATS_TRANSPORT, ...) win over what is written here.
export default {
  name: "orders-example",
  // JetStream: events are stored, handlers ack after success, failures are retried, then dead-lettered.
  transport: "jetstream",
  streams: [{ name: "ORDERS", subjects: ["order.>"], maxAgeMs: 7 * 24 * 3600 * 1000 }],
  retry: { maxDeliver: 5, initialDelayMs: 1000, maxDelayMs: 30000 },
  // Listener modules, like Django's INSTALLED_APPS; relative to this file, compiled by `npm run build`.
  listeners: ["../dist/example-app/listeners/*.listener.js"],
  requestTimeoutMs: 2000,
  drainTimeoutMs: 8000,
};
