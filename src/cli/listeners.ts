import { loadOptions } from "../bus/load-options.js";
import { createLogger } from "../logger.js";
import { codeOptionsFrom, type ConnectionFlags } from "./connection-flags.js";
import { listenerRows, listenerTable } from "./listener-rows.js";
import { loadConfiguredListeners } from "./load-listener-modules.js";

/**
 * `nats-events listeners`: what the listener modules declared with @Listen (subject, group,
 * Class.method; on jetstream the stream and durable consumer each reads from), without connecting.
 */
export async function listenersCommand(modules: string[], flags: ConnectionFlags & { json?: boolean }): Promise<void> {
  const { options, configFile } = await loadOptions(codeOptionsFrom(flags), { configFile: flags.config });
  const specs = await loadConfiguredListeners(modules, options, configFile, createLogger("warn", { destination: 2 }));
  const rows = listenerRows(specs, options);
  if (flags.json) return void process.stdout.write(`${JSON.stringify({ transport: options.transport, configFile: configFile ?? null, listeners: rows }, null, 2)}\n`);
  process.stdout.write(listenerTable(rows));
}
