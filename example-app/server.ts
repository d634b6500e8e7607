import "reflect-metadata";
import { container } from "tsyringe";
import { EventBus, closeBusWithServer, connectWithRetry } from "express-nats-events";
import { createApp } from "./app.js";

const bus = container.resolve(EventBus);

// HTTP first: while NATS connects, /healthz and the publishing routes answer 503 (EB_ERR_NOT_CONNECTED)
// instead of the port refusing connections.
const port = Number(process.env.PORT ?? 3000);
const server = createApp().listen(port, "127.0.0.1", () => bus.logger.info({ url: `http://127.0.0.1:${port}` }, "orders example listening"));
closeBusWithServer(server);

await connectWithRetry(bus, {});

if (bus.transportName === "memory") {
  // Embedded single-process mode: no NATS server, listeners run inside the web process.
  await import("./listeners/all.js");
  await bus.listen();
  bus.logger.warn(
    {},
    "embedded mode: NATS_TRANSPORT=memory runs the listeners inside this process; " +
      "install nats-server (apt-get install nats-server) or set NATS_URL for the real thing",
  );
}
// pm2 (wait_ready) counts the process as up, and a reload stops the old one, only once it can publish.
process.send?.("ready");

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    bus.logger.info({ signal }, "closing the HTTP server, then draining the bus");
    server.close(); // closeBusWithServer starts the drain when the server has closed
    server.closeAllConnections();
    bus.drain().then(
      () => process.exit(0),
      (err: unknown) => {
        bus.logger.error({ error: String(err) }, "drain failed");
        process.exit(1);
      },
    );
  });
}
