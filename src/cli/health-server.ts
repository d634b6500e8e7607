import http from "node:http";
import type { AddressInfo } from "node:net";
import promClient, { type Registry } from "prom-client";
import type { BusHealth } from "../bus/event-bus.js";
import { ErrorCodes, EventBusError, describeError } from "../errors.js";

export interface HealthServerOptions {
  readonly port: number;
  readonly host: string;
  /** The bus facts; `ready` is what /readyz answers with. */
  readonly health: () => BusHealth & { readonly listening: boolean };
  readonly registry?: Registry;
}

export interface HealthServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The small HTTP endpoint of a register-listeners process (node:http, no framework):
 * - GET /livez   200 while the process runs (its event loop answers): for restarts;
 * - GET /readyz  200 when connected, subscribed, every subscription active (none stalled or waiting for its stream) and not draining, else 503;
 * - GET /metrics the Prometheus metrics (text format).
 * Rejects with EB_ERR_HEALTH_SERVER when the port cannot be used.
 */
export function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const registry = options.registry ?? promClient.register;
  const startedAt = Date.now();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, { error: "method not allowed" });
    if (path === "/livez") return send(res, 200, { status: "ok", pid: process.pid, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });
    if (path === "/readyz") {
      const { listening, status: bus, ...health } = options.health();
      const ready = listening && health.ready;
      return send(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", bus, listening, ...health, ready });
    }
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => {
          res.statusCode = 200;
          res.setHeader("content-type", registry.contentType);
          res.end(text);
        },
        (err: unknown) => send(res, 500, { error: describeError(err) }),
      );
      return;
    }
    send(res, 404, { error: "not found", endpoints: ["/livez", "/readyz", "/metrics"] });
  });
  return new Promise((resolve, reject) => {
    server.once("error", (err) => {
      reject(new EventBusError(ErrorCodes.HEALTH_SERVER, `cannot serve the health endpoint on ${options.host}:${options.port}: ${describeError(err)}`, { cause: err }));
    });
    server.listen(options.port, options.host, () => {
      const { port } = server.address() as AddressInfo;
      server.unref(); // never the reason the process stays up
      resolve({
        url: `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function send(res: http.ServerResponse, status: number, body: object): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("cache-control", "no-store");
  res.end(JSON.stringify(body));
}
