import type { IncomingMessage, ServerResponse } from "node:http";
import promClient, { type Registry } from "prom-client";

/**
 * GET handler serving the Prometheus metrics of `registry` (default: prom-client's
 * global `register`, where the bus registers its metrics next to the application's):
 *
 *   app.get("/metrics", metricsHandler())
 */
export function metricsHandler(registry: Registry = promClient.register) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    registry.metrics().then(
      (text) => {
        res.statusCode = 200;
        res.setHeader("content-type", registry.contentType);
        res.setHeader("cache-control", "no-store");
        res.end(text);
      },
      (err: unknown) => {
        res.statusCode = 500;
        res.setHeader("content-type", "text/plain; charset=utf-8");
        res.end(`cannot collect metrics: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  };
}
