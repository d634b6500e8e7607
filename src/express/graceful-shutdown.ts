import type { Server } from "node:http";
import { container } from "tsyringe";
import { EventBus } from "../bus/event-bus.js";
import { ErrorCodes, EventBusError } from "../errors.js";
import { onStopSignals } from "../lifecycle/stop-signals.js";
import { logStopOutcome, runStopSteps } from "../lifecycle/stop-steps.js";
import { RequestsInFlight } from "./close-http-server.js";

export interface GracefulShutdownOptions {
  /** Default: the container's EventBus singleton (what EventPublisher publishes on). */
  bus?: EventBus;
  /**
   * How long requests in flight may take after the signal before their connections are closed
   * (default 10000). The bus then drains for up to its `drainTimeoutMs`: keep the sum below
   * pm2's `kill_timeout` (or Kubernetes' `terminationGracePeriodSeconds`).
   */
  timeoutMs?: number;
  /** Runs after the bus drained, also when the drain failed: close your database pool here. */
  teardown?: () => unknown;
  /** Default: SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
  /** Called with the exit code at the end (default: process.exit). */
  exit?: (code: number) => void;
}

export interface GracefulShutdown {
  /**
   * What the first signal does, for your own triggers: stop accepting connections, let requests
   * in flight finish (bounded by `timeoutMs`), drain the bus, run `teardown`, then `exit(code)`.
   * Runs once; every call returns the same promise, resolving with the exit code (0, or 1 when a
   * step failed).
   */
  shutdown(): Promise<number>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const installed = new WeakMap<Server, GracefulShutdown>();

/**
 * Stops the web process without losing work: on the first SIGTERM/SIGINT the server stops
 * accepting connections and closes idle keep-alive sockets, requests in flight finish (so what
 * they publish is sent), the bus drains, `teardown` runs, and the process exits 0 (1 if a step
 * failed). A second signal exits at once with 130 after a warning that names what it cut short.
 * Calling it again for the same server returns the first call's handle. Call it right after
 * `listen()`: it counts (and reports) only the requests that start after it.
 */
export function gracefulShutdown(server: Server, options: GracefulShutdownOptions = {}): GracefulShutdown {
  const existing = installed.get(server);
  if (existing) return existing;
  const { bus = container.resolve(EventBus), timeoutMs = DEFAULT_TIMEOUT_MS, teardown, signals, exit = (code: number) => process.exit(code) } = options;
  const requests = new RequestsInFlight(server);
  let stage = "closing the HTTP server";
  let stopped: Promise<number> | undefined;

  const stop = async (signal?: NodeJS.Signals): Promise<number> => {
    const logger = bus.logger;
    logger.info({ signal, timeoutMs, requestsInFlight: requests.size }, "stopping: closing the HTTP server and waiting for requests in flight");
    const failure = await runStopSteps(
      [
        {
          name: "close the HTTP server",
          run: async () => {
            const cut = await requests.close(timeoutMs);
            if (cut > 0) {
              throw new EventBusError(ErrorCodes.SHUTDOWN_TIMEOUT, `${cut} request(s) still running after the timeout of ${timeoutMs} ms: their connections were closed`);
            }
          },
        },
        { name: "drain the bus", run: () => ((stage = "draining the bus"), bus.drain()) },
        { name: "run the teardown", run: () => ((stage = "running the teardown"), teardown?.()) },
      ],
      logger,
    );
    const code = logStopOutcome(logger, failure);
    exit(code);
    return code;
  };

  const shutdown = (signal?: NodeJS.Signals) => (stopped ??= stop(signal));
  onStopSignals((signal) => void shutdown(signal), {
    signals,
    exit,
    onForcedStop: (signal, code) =>
      bus.logger.warn({ signal, code, stage, requestsInFlight: requests.size }, `second signal: exiting at once while ${stage}, without waiting for it`),
  });
  const handle: GracefulShutdown = { shutdown: () => shutdown() };
  installed.set(server, handle);
  return handle;
}
