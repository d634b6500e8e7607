import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type express from "express";
import { eventsDashboard } from "express-nats-events/dashboard";

/**
 * The events dashboard at /events. It shows payloads and error texts, so only people who may
 * see them should reach it. This example's rule: read-only, and only from this machine; with
 * EVENTS_DASHBOARD_PASSWORD set, also replay and discard, for whoever logs in as "admin" with
 * that password (HTTP Basic; put it behind HTTPS, or use your app's own login instead).
 */
export function mountDashboard(app: express.Express): void {
  const password = process.env.EVENTS_DASHBOARD_PASSWORD;
  if (!password) {
    app.use("/events", eventsDashboard({ title: "orders-example events", authorize: fromThisMachine }));
    return;
  }
  const expected = Buffer.from(`Basic ${Buffer.from(`admin:${password}`).toString("base64")}`);
  const isAdmin = (req: IncomingMessage) => {
    const given = Buffer.from(req.headers.authorization ?? "");
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  app.use(
    "/events",
    // Ask the browser for the password (the dashboard itself only answers 403).
    (req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (isAdmin(req)) return next();
      res.status(401).set("www-authenticate", 'Basic realm="events dashboard"').send("log in as admin with EVENTS_DASHBOARD_PASSWORD\n");
    },
    eventsDashboard({ title: "orders-example events", readOnly: false, authorize: (req) => isAdmin(req) && fromThisMachine(req) }),
  );
}

function fromThisMachine(req: IncomingMessage): boolean {
  return ["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(req.socket.remoteAddress ?? "");
}
