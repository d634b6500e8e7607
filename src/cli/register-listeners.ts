import { EventBus } from "../bus/event-bus.js";
import { connectWithRetry } from "../bus/connect-with-retry.js";
import { loadOptions } from "../bus/load-options.js";
import promClient from "prom-client";
import { describeError } from "../errors.js";
import { createLogger } from "../logger.js";
import { codeOptionsFrom, connectOptionsFrom, type ConnectionFlags } from "./connection-flags.js";
import { startHealthServer } from "./health-server.js";
import { ListenerActivityObserver } from "../discovery/listener-activity.js";
import { startDiscoveryResponder } from "../discovery/responder.js";
import { listenerRows } from "./listener-rows.js";
import { loadConfiguredListeners } from "./load-listener-modules.js";

/**
 * The long-lived listener process pm2 runs next to the web server:
 * load modules → (health endpoint) → connect (retrying) → subscribe every @Listen → tell pm2 "ready".
 * First SIGINT/SIGTERM drains (handlers in flight finish) and exits 0; a second exits at once.
 * With `healthPort` set it serves /livez, /readyz and /metrics (see health-server.ts).
 */
export async function registerListeners(modules: string[], flags: ConnectionFlags): Promise<void> {
  const connectOptions = connectOptionsFrom(flags);
  const { options, configFile } = await loadOptions(codeOptionsFrom(flags), { configFile: flags.config });
  const logger = createLogger(options.logLevel);
  const stopping = new AbortController();
  const bus = new EventBus();
  const activity = new ListenerActivityObserver(); // counters for discovery ($SRV.STATS)
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn({ signal }, "second signal: exiting without waiting for handlers");
      process.exit(130);
    }
    logger.info({ signal, timeoutMs: options.drainTimeoutMs }, "stopping: draining subscriptions and waiting for handlers in flight");
    stopping.abort();
    bus.drain().then(
      () => exit(0, "stopped cleanly"),
      (err: unknown) => exit(1, `stopped with an error: ${describeError(err)}`),
    );
  };
  const exit = (code: number, message: string) => {
    if (code === 0) logger.info({ code }, message);
    else logger.error({ code }, message);
    process.exit(code);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const specs = await loadConfiguredListeners(modules, options, configFile, logger);

  let listening = false;
  if (options.healthPort !== undefined) {
    // Process metrics (CPU, memory, event loop lag) next to the bus's: this process is ours.
    if (options.metrics) promClient.collectDefaultMetrics();
    const health = await startHealthServer({ port: options.healthPort, host: options.healthHost, health: () => ({ ...bus.health(), listening }) });
    logger.info({ url: health.url, endpoints: ["/livez", "/readyz", "/metrics"] }, "health endpoint listening");
  }

  try {
    await connectWithRetry(bus, { ...connectOptions, logger, observers: [activity] }, { signal: stopping.signal, logger });
  } catch (err) {
    if (stopping.signal.aborted) return; // a signal arrived while waiting for the server: nothing to drain
    throw err;
  }
  if (stopping.signal.aborted) return;
  await bus.listen();
  await startDiscoveryResponder(bus, listenerRows(specs, options), activity); // $SRV.PING/INFO/STATS: the dashboard, `nats micro ls`
  listening = true;
  bus.onStatusChange((status) => {
    // The transport gave up reconnecting (maxAttempts reached): exit so pm2 restarts us.
    if (status === "closed" && !stopping.signal.aborted) exit(1, "connection closed for good; exiting so the process manager restarts it");
  });
  process.send?.("ready");
  logger.info({ listeners: specs.length }, "ready"); // pino adds the pid to every line
}
