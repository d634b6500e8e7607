import express from "express";
import { eventBusErrorHandler, eventContext, healthHandler, metricsHandler, route, withPublisher } from "express-nats-events";
import { mountDashboard } from "./dashboard.js";
import { OrderCancelled } from "./orders/order-events.js";
import { OrdersController } from "./orders/orders.controller.js";

export function createApp(): express.Express {
  const app = express();
  // Every event published while handling a request carries its X-Correlation-Id and traceparent.
  app.use(eventContext());
  app.use(express.json());

  // Class-based handlers: the controller gets EventPublisher by constructor injection.
  app.post("/orders", route(OrdersController, "create"));
  app.post("/orders/bulk", route(OrdersController, "createMany"));
  app.get("/quote/:sku", route(OrdersController, "quote"));

  // A plain function handler gets the publisher in one line.
  app.post(
    "/orders/:id/cancel",
    withPublisher(async (events, req: express.Request, res: express.Response) => {
      await events.publish(OrderCancelled, { id: String(req.params.id) });
      res.status(202).json({ id: req.params.id, cancelled: true });
    }),
  );

  app.get("/healthz", healthHandler());
  // Prometheus: the bus's counters (published, handled, failed...) next to anything else in prom-client's registry.
  app.get("/metrics", metricsHandler());
  // Listeners, consumers and dead letters in the browser: http://127.0.0.1:3000/events
  mountDashboard(app);
  app.use(eventBusErrorHandler());
  return app;
}
