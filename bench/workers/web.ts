/**
 * Scenario 3's web process: an Express 5 app whose POST /orders publishes the
 * request body as one event per request, then answers 202.
 *   node dist/bench/workers/web.js raw|lib
 * lib: the route is written with withPublisher(), as in example-app/app.ts.
 * raw: the same route calling nc.publish(subject, TextEncoder(JSON.stringify(body))).
 */
import "reflect-metadata";
import type { AddressInfo } from "node:net";
import express from "express";
import { serve } from "../lib/rpc.js";

const side = process.argv[2];
const url = process.env.BENCH_URL!;
const subject = process.env.BENCH_SUBJECT ?? `bench.http.${side}`;

const app = express();
app.use(express.json());

if (side === "lib") {
  const { container } = await import("tsyringe");
  const { EventBus, withPublisher, eventBusErrorHandler } = await import("express-nats-events");
  await container.resolve(EventBus).connect({ servers: [url], name: "bench-lib-web", logLevel: "warn" });
  app.post(
    "/orders",
    withPublisher(async (events, req: express.Request, res: express.Response) => {
      await events.publish(subject, req.body);
      res.status(202).json({ accepted: true });
    }),
  );
  app.use(eventBusErrorHandler());
} else {
  const { connect } = await import("@nats-io/transport-node");
  const nc = await connect({ servers: url, name: "bench-raw-web" });
  const encoder = new TextEncoder();
  app.post("/orders", (req, res) => {
    nc.publish(subject, encoder.encode(JSON.stringify(req.body)));
    res.status(202).json({ accepted: true });
  });
}

const server = app.listen(0, "127.0.0.1", () => {
  serve({ port: () => (server.address() as AddressInfo).port });
  process.send?.("ready");
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
