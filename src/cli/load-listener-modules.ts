import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { glob, isDynamicPattern } from "tinyglobby";
import type { EventBusOptions } from "../bus/options.js";
import { ErrorCodes, EventBusError, describeError } from "../errors.js";
import type { Logger } from "../logger.js";
import { listenerRegistry, type ListenerSpec } from "../listeners/registry.js";

/**
 * Imports listener modules (like Django's INSTALLED_APPS). Importing runs their
 * @Listen decorators, which only record. Each pattern is a file or a glob,
 * relative to `baseDir`. A pattern that matches nothing is an error, never a
 * silently empty listener process.
 */
export async function loadListenerModules(patterns: readonly string[], baseDir: string): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of patterns) {
    const matched = isDynamicPattern(pattern)
      ? (await glob(pattern, { cwd: baseDir, absolute: true, onlyFiles: true })).sort()
      : [path.resolve(baseDir, pattern)].filter((file) => existsSync(file));
    if (matched.length === 0) {
      throw new EventBusError(ErrorCodes.MODULE_LOAD, `listener module pattern "${pattern}" matched no file (relative to ${baseDir}); did you build the project?`);
    }
    files.push(...matched.filter((file) => !files.includes(file)));
  }
  for (const file of files) {
    try {
      await import(pathToFileURL(file).href);
    } catch (err) {
      throw new EventBusError(ErrorCodes.MODULE_LOAD, `cannot load listener module ${file}: ${describeError(err)}`, { cause: err });
    }
  }
  return files;
}

/**
 * Loads the listener modules named on the command line (relative to cwd) or, when
 * none are, the config's `listeners` (relative to the config file). Fails when
 * nothing is named or the modules declare no @Listen.
 */
export async function loadConfiguredListeners(
  modules: readonly string[],
  options: EventBusOptions,
  configFile: string | undefined,
  logger: Logger,
): Promise<ListenerSpec[]> {
  const [patterns, baseDir] = modules.length > 0 ? [modules, process.cwd()] : [options.listeners, configFile ? path.dirname(configFile) : process.cwd()];
  if (patterns.length === 0) {
    throw new EventBusError(
      ErrorCodes.MODULE_LOAD,
      `no listener modules given: pass files or globs (nats-events register-listeners "dist/listeners/*.js") or set "listeners" in ${configFile ?? "nats-events.config.js"}`,
    );
  }
  const files = await loadListenerModules(patterns, baseDir);
  const specs = listenerRegistry.all();
  if (specs.length === 0) {
    throw new EventBusError(ErrorCodes.MODULE_LOAD, `the listener modules (${files.join(", ")}) declare no @Listen handler`);
  }
  logger.info({ modules: files.length, listeners: specs.length }, "listener modules loaded");
  return specs;
}
