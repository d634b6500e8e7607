import "reflect-metadata";
import { container } from "tsyringe";
import { EventBus, connectWithRetry, gracefulShutdown } from "express-nats-events";
import { createApp } from "./app.js";

const bus = container.resolve(EventBus);

// HTTP first: while NATS connects, /healthz and the publishing routes answer 503 (EB_ERR_NOT_CONNECTED)
// instead of the port refusing connections.
const port = Number(process.env.PORT ?? 3000);
const server = createApp().listen(port, "127.0.0.1", () => bus.logger.info({ url: `http://127.0.0.1:${port}` }, "orders example listening"));
// SIGTERM/SIGINT: stop accepting connections, let requests in flight finish (3 s at most), drain
// the bus, exit. 3 s + drainTimeoutMs (8 s) stays below pm2's kill_timeout (12 s in ecosystem.config.js).
gracefulShutdown(server, { timeoutMs: 3_000 });

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
