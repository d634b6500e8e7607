import type { Server } from "node:http";
import { container } from "tsyringe";
import { EventBus } from "../bus/event-bus.js";

/**
 * Drains the bus when the HTTP server closes, so events published by the last
 * requests are flushed before the process exits. Returns the server for chaining.
 */
export function closeBusWithServer<S extends Server>(server: S, bus: EventBus = container.resolve(EventBus)): S {
  server.once("close", () => {
    bus.drain().catch((err: unknown) => bus.logger.error({ error: String(err) }, "drain on server close failed"));
  });
  return server;
}
