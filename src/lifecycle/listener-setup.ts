import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { DependencyContainer } from "tsyringe";
import type { EventBus } from "../bus/event-bus.js";
import type { EventBusOptions } from "../bus/options.js";
import { ErrorCodes, EventBusError, describeError } from "../errors.js";
import type { Logger } from "../logger.js";

/** What a listener process's setup module is given. */
export interface ListenerSetupContext {
  /** Where the listener classes are resolved: register what their constructors inject here. */
  readonly container: DependencyContainer;
  /** The process's bus (the one `EventPublisher` injects). Not connected yet: it connects after setup. */
  readonly bus: EventBus;
  readonly logger: Logger;
  /** The resolved options (defaults < config file < command line < environment). */
  readonly options: Readonly<EventBusOptions>;
}

/** Runs once, after the bus drained (also when the drain failed or the start failed after setup). */
export type ListenerTeardown = () => void | Promise<void>;

/**
 * The default export (or a named `setup` export) of the module the `setup` option names:
 * runs in `register-listeners` after the listener modules are imported and before the bus
 * connects and any listener class is built. Return a teardown to undo it after the drain.
 */
export type ListenerSetup = (context: ListenerSetupContext) => void | ListenerTeardown | Promise<void | ListenerTeardown>;

/**
 * Runs the setup module the `setup` option names, if any: relative to the config file's folder
 * (else the working directory), as `listeners` are. register-listeners and the offline
 * `nats-events listeners` check both start here, so a class whose dependencies the setup
 * registers is built the same way in both.
 */
export function runConfiguredSetup(configFile: string | undefined, context: ListenerSetupContext): Promise<ListenerTeardown | undefined> {
  const { setup } = context.options;
  if (setup === undefined) return Promise.resolve(undefined);
  return runListenerSetup(setup, configFile ? path.dirname(configFile) : process.cwd(), context);
}

/**
 * Imports the setup module (`file` relative to `baseDir`), runs it and returns its teardown,
 * wrapped so a failure names the module. Every problem is an EB_ERR_SETUP naming the file.
 */
export async function runListenerSetup(file: string, baseDir: string, context: ListenerSetupContext): Promise<ListenerTeardown | undefined> {
  const modulePath = path.resolve(baseDir, file);
  const setup = await importSetup(modulePath, file, baseDir);
  context.logger.info({ module: modulePath }, "running the setup module");
  let teardown: unknown;
  try {
    teardown = await setup(context);
  } catch (err) {
    throw new EventBusError(ErrorCodes.SETUP, `setup module ${modulePath} failed: ${describeError(err)}; nothing was subscribed`, { cause: err });
  }
  if (teardown === undefined) return undefined;
  if (typeof teardown !== "function") {
    throw new EventBusError(ErrorCodes.SETUP, `setup module ${modulePath} returned ${describeValue(teardown)}; return nothing or a teardown function`);
  }
  return async () => {
    try {
      await (teardown as ListenerTeardown)();
    } catch (err) {
      throw new EventBusError(ErrorCodes.TEARDOWN, `the teardown of setup module ${modulePath} failed: ${describeError(err)}`, { cause: err });
    }
  };
}

async function importSetup(modulePath: string, file: string, baseDir: string): Promise<ListenerSetup> {
  if (!existsSync(modulePath)) {
    throw new EventBusError(ErrorCodes.SETUP, `setup module "${file}" not found (resolved to ${modulePath}, relative to ${baseDir}); did you build the project?`);
  }
  let module: { default?: unknown; setup?: unknown };
  try {
    module = (await import(pathToFileURL(modulePath).href)) as typeof module;
  } catch (err) {
    throw new EventBusError(ErrorCodes.SETUP, `cannot load setup module ${modulePath}: ${describeError(err)}`, { cause: err });
  }
  const setup = typeof module.default === "function" ? module.default : module.setup;
  if (typeof setup !== "function") {
    throw new EventBusError(ErrorCodes.SETUP, `setup module ${modulePath} must export a function (export default async ({ container }) => { ... }), got ${describeValue(module.default ?? module.setup)}`);
  }
  return setup as ListenerSetup;
}

function describeValue(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : typeof value;
}
