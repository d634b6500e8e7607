import { container } from "tsyringe";
import { EventBus } from "../bus/event-bus.js";
import { connectWithRetry } from "../bus/connect-with-retry.js";
import { loadOptions } from "../bus/load-options.js";
import promClient from "prom-client";
import { createLogger } from "../logger.js";
import { codeOptionsFrom, connectOptionsFrom, type ConnectionFlags } from "./connection-flags.js";
import { startHealthServer } from "./health-server.js";
import { ListenerLifecycle } from "./listener-lifecycle.js";
import { ListenerActivityObserver } from "../discovery/listener-activity.js";
import { startDiscoveryResponder } from "../discovery/responder.js";
import { listenerRows } from "./listener-rows.js";
import { loadConfiguredListeners } from "./load-listener-modules.js";

/**
 * The long-lived listener process pm2 runs next to the web server:
 * load modules → (health endpoint) → setup module → connect (retrying) → build every listener
 * class → provision → subscribe every @Listen → tell pm2 "ready".
 * First SIGINT/SIGTERM drains (handlers in flight finish), runs the setup's teardown and exits 0;
 * a second exits at once (see listener-lifecycle.ts).
 * With `healthPort` set it serves /livez, /readyz and /metrics (see health-server.ts).
 */
export async function registerListeners(modules: string[], flags: ConnectionFlags): Promise<void> {
  const connectOptions = connectOptionsFrom(flags);
  const { options, configFile } = await loadOptions(codeOptionsFrom(flags), { configFile: flags.config });
  const logger = createLogger(options.logLevel);
  // The container's singleton, so listeners that inject EventPublisher publish on this connected bus.
  const bus = container.resolve(EventBus);
  const lifecycle = new ListenerLifecycle(bus, logger, options);
  const activity = new ListenerActivityObserver(); // counters for discovery ($SRV.STATS)
  const stopping = lifecycle.stopping;
  lifecycle.handleSignals();

  const specs = await loadConfiguredListeners(modules, options, configFile, logger);

  let listening = false;
  if (options.healthPort !== undefined) {
    // Process metrics (CPU, memory, event loop lag) next to the bus's: this process is ours.
    if (options.metrics) promClient.collectDefaultMetrics();
    const health = await startHealthServer({ port: options.healthPort, host: options.healthHost, health: () => ({ ...bus.health(), listening }) });
    logger.info({ url: health.url, endpoints: ["/livez", "/readyz", "/metrics"] }, "health endpoint listening");
  }
  await lifecycle.setup(container, configFile);

  try {
    await connectWithRetry(bus, { ...connectOptions, logger, observers: [activity] }, { signal: stopping.signal, logger });
    if (stopping.signal.aborted) return; // a signal arrived while waiting for the server: it is stopping the process
    await bus.listen();
    await startDiscoveryResponder(bus, listenerRows(specs, options), activity); // $SRV.PING/INFO/STATS: the dashboard, `nats micro ls`
  } catch (err) {
    if (stopping.signal.aborted) return;
    await lifecycle.stop(); // the setup's teardown runs on a failed start too
    throw err;
  }
  listening = true;
  bus.onStatusChange((status) => {
    // The transport gave up reconnecting (maxAttempts reached): exit so pm2 restarts us.
    if (status === "closed" && !stopping.signal.aborted) void lifecycle.exit("connection closed for good; exiting so the process manager restarts it");
  });
  process.send?.("ready");
  logger.info({ listeners: specs.length }, "ready"); // pino adds the pid to every line
}
