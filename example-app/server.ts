import "reflect-metadata";
import { container } from "tsyringe";
import { EventBus, closeBusWithServer, connectWithRetry } from "express-nats-events";
import { createApp } from "./app.js";

const bus = container.resolve(EventBus);
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

const port = Number(process.env.PORT ?? 3000);
const server = createApp().listen(port, "127.0.0.1", () => {
  bus.logger.info({ url: `http://127.0.0.1:${port}` }, "orders example listening");
  process.send?.("ready");
});
closeBusWithServer(server);

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
