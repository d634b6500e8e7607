import { container, type DependencyContainer } from "tsyringe";
import { EventBus } from "../bus/event-bus.js";
import { loadOptions } from "../bus/load-options.js";
import { runConfiguredSetup } from "../lifecycle/listener-setup.js";
import { buildListener } from "../listeners/build-listener.js";
import type { ListenerSpec } from "../listeners/registry.js";
import { createLogger } from "../logger.js";
import { codeOptionsFrom, type ConnectionFlags } from "./connection-flags.js";
import { listenerRows, listenerTable } from "./listener-rows.js";
import { loadConfiguredListeners } from "./load-listener-modules.js";

/**
 * `nats-events listeners`: what the listener modules declared with @Listen (subject, group,
 * Class.method; on jetstream the stream and durable consumer each reads from), without connecting.
 * It builds each listener class once, as register-listeners would, so a class tsyringe cannot
 * build fails here (exit 1) with the same EB_ERR_LISTENER_RESOLVE message instead of at deploy.
 * The `setup` module runs first (and its teardown after), as in register-listeners, so what it
 * registers is there: it is given a bus that never connects.
 */
export async function listenersCommand(modules: string[], flags: ConnectionFlags & { json?: boolean }): Promise<void> {
  const { options, configFile } = await loadOptions(codeOptionsFrom(flags), { configFile: flags.config });
  const logger = createLogger("warn", { destination: 2 });
  const specs = await loadConfiguredListeners(modules, options, configFile, logger);
  const scope = container.createChildContainer();
  const teardown = await runConfiguredSetup(configFile, { container: scope, bus: container.resolve(EventBus), logger, options });
  try {
    checkBuildable(scope, specs);
  } finally {
    await teardown?.();
  }
  const rows = listenerRows(specs, options);
  if (flags.json) return void process.stdout.write(`${JSON.stringify({ transport: options.transport, configFile: configFile ?? null, listeners: rows }, null, 2)}\n`);
  process.stdout.write(listenerTable(rows));
}

/** In a child container, so what the check builds is not what a later bus.listen() in this process would get. */
function checkBuildable(scope: DependencyContainer, specs: readonly ListenerSpec[]): void {
  const built = new Set<ListenerSpec["target"]>();
  for (const spec of specs) {
    if (built.has(spec.target)) continue;
    buildListener(scope, spec);
    built.add(spec.target);
  }
}
