import type { Command } from "commander";
import type { ConnectOptions } from "../bus/event-bus.js";
import type { EventBusOptionsInput, TransportName } from "../bus/options.js";

export interface ConnectionFlags {
  config?: string;
  server?: string;
  transport?: string;
}

/** The flags every command that connects shares. Environment variables still win over them, as documented. */
export function addConnectionFlags(command: Command): Command {
  return command
    .option("-c, --config <file>", "config file (default: search nats-events.config.js / package.json \"natsEvents\" from the current directory up)")
    .option("-s, --server <urls>", "NATS server URLs, comma-separated (env NATS_URL)")
    .option("-t, --transport <name>", "memory | nats | jetstream | stan | stan+jetstream (env NATS_TRANSPORT)");
}

/** The flags as code-level options (they lose to environment variables, like code does). */
export function codeOptionsFrom(flags: ConnectionFlags): EventBusOptionsInput {
  return {
    servers: flags.server?.split(",").map((url) => url.trim()).filter(Boolean),
    transport: flags.transport as TransportName | undefined,
  };
}

export function connectOptionsFrom(flags: ConnectionFlags): ConnectOptions {
  return { configFile: flags.config, ...codeOptionsFrom(flags) };
}
