import type { IncomingMessage, ServerResponse } from "node:http";
import { container } from "tsyringe";
import { EventBus } from "../bus/event-bus.js";

/**
 * GET handler reporting the bus: 200 `{"status":"ok","bus":"connected",...}` when
 * connected (and, in the embedded mode, every listener's subscription active), 503
 * otherwise (connecting, reconnecting, draining, closed, a subscription ended), so a load
 * balancer stops sending traffic to an instance that cannot publish. Use it as the
 * readiness probe of the web process.
 */
export function healthHandler(bus: EventBus = container.resolve(EventBus)) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    const health = bus.health();
    const body = JSON.stringify({
      status: health.ready ? "ok" : "unavailable",
      bus: health.status,
      transport: health.transport,
      reconnects: health.reconnects,
      ...(health.draining && { draining: true }),
      ...(health.listeners.length > 0 && { listeners: health.listeners }),
    });
    res.statusCode = health.ready ? 200 : 503;
    res.setHeader("content-type", "application/json; charset=utf-8");
    res.setHeader("cache-control", "no-store");
    res.end(body);
  };
}
