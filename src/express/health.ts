import type { IncomingMessage, ServerResponse } from "node:http";
import { container } from "tsyringe";
import { EventBus } from "../bus/event-bus.js";

/**
 * GET handler reporting the bus: 200 `{"status":"ok","bus":"connected",...}` when
 * connected, 503 otherwise (connecting, reconnecting, closed), so a load balancer
 * stops sending traffic to an instance that cannot publish.
 */
export function healthHandler(bus: EventBus = container.resolve(EventBus)) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    const connected = bus.status === "connected";
    const body = JSON.stringify({ status: connected ? "ok" : "unavailable", bus: bus.status, transport: bus.transportName ?? null });
    res.statusCode = connected ? 200 : 503;
    res.setHeader("content-type", "application/json; charset=utf-8");
    res.setHeader("cache-control", "no-store");
    res.end(body);
  };
}
