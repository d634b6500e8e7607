// Configuration of the example service, read by both processes: the web server
// (bus.connect()) and `nats-events register-listeners`. Environment variables
// (NATS_URL, NATS_TRANSPORT, ...) win over what is written here.
export default {
  name: "orders-example",
  // Listener modules, like Django's INSTALLED_APPS; relative to this file, compiled by `npm run build`.
  listeners: ["../dist/example-app/listeners/*.listener.js"],
  requestTimeoutMs: 2000,
  drainTimeoutMs: 8000,
};
