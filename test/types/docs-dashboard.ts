/** The code of docs/dashboard.md, compiled by the type tests so the page stays true. */
import type { IncomingMessage } from "node:http";
import express from "express";
import express4 from "express4";
import { eventsDashboard } from "express-nats-events/dashboard";

declare function isOperator(req: IncomingMessage): boolean;

const app = express();
app.use("/events", eventsDashboard({ authorize: (req) => isOperator(req) }));

// Express 4 takes the same middleware; actions need an authorize hook (async is fine).
express4().use("/events", eventsDashboard({ readOnly: false, authorize: async (req) => isOperator(req), csrfSecret: "shared-by-every-instance" }));
