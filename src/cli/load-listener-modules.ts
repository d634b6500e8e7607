import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { glob, isDynamicPattern } from "tinyglobby";
import { ErrorCodes, EventBusError, describeError } from "../errors.js";

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
