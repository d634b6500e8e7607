import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ErrorCodes, EventBusError, describeError } from "../errors.js";

/** 1-based, as editors show them. */
export interface SourceLocation {
  readonly line: number;
  readonly column?: number;
}

/**
 * EB_ERR_CONFIG for a config file that failed to load: names the file, the line and column when
 * they can be found, and for the usual module-format mix-up what to write instead.
 */
export function configFileError(file: string, err: unknown): EventBusError {
  const at = locate(err, file);
  const where = at ? ` (line ${at.line}${at.column ? `, column ${at.column}` : ""})` : "";
  return new EventBusError(ErrorCodes.CONFIG, `cannot read config file ${file}${where}: ${describeError(err)}${formatHint(err, file)}`, { cause: err });
}

function locate(err: unknown, file: string): SourceLocation | undefined {
  if (!(err instanceof Error)) return undefined;
  const stack = err.stack ?? "";
  // Only for package.json itself: a JSON.parse() the config file runs has its own frame below.
  const position = file.endsWith(".json") ? /in JSON at position (\d+)/.exec(err.message) : null;
  if (position) return locateOffset(file, Number(position[1]));
  const lineColumn = file.endsWith(".json") ? /\(line (\d+) column (\d+)\)/.exec(err.message) : null; // Node >= 22 says this instead
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  if (file.endsWith(".json")) return undefined;
  return fromCaret(stack, file) ?? fromFrame(stack, file) ?? (err instanceof SyntaxError ? fromSyntaxCheck(file) : undefined);
}

/** CommonJS syntax errors (and `node --check`) start with "<file>:<line>", the line, and a caret under the column. */
function fromCaret(text: string, file: string): SourceLocation | undefined {
  const match = /^(.*):(\d+)\r?\n.*\r?\n(\s*)\^/m.exec(text);
  if (!match || path.resolve(stripFileUrl(match[1]!)) !== file) return undefined;
  return { line: Number(match[2]), column: match[3]!.length + 1 };
}

/** A runtime error thrown while the file ran: its stack frame in the file. */
function fromFrame(stack: string, file: string): SourceLocation | undefined {
  for (const match of stack.matchAll(/\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?$/gm)) {
    if (path.resolve(stripFileUrl(match[1]!)) === file) return { line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

/**
 * Node reports no position for a syntax error in an ES module it imports; `node --check` does.
 * Only ever run on this failure path, so the extra process costs nothing when the file is fine.
 */
function fromSyntaxCheck(file: string): SourceLocation | undefined {
  const check = spawnSync(process.execPath, ["--check", file], { encoding: "utf8", timeout: 10_000 });
  return check.status === 0 ? undefined : fromCaret(check.stderr ?? "", file);
}

function locateOffset(file: string, offset: number): SourceLocation | undefined {
  try {
    const before = readFileSync(file, "utf8").slice(0, offset).split("\n");
    return { line: before.length, column: before.at(-1)!.length + 1 };
  } catch {
    return undefined;
  }
}

function stripFileUrl(location: string): string {
  return location.startsWith("file://") ? decodeURIComponent(new URL(location).pathname) : location;
}

/** What to write instead when the file's syntax does not match how Node loads it. */
function formatHint(err: unknown, file: string): string {
  const message = describeError(err);
  const base = path.basename(file, path.extname(file));
  if (/Unexpected token 'export'|Cannot use import statement outside a module/.test(message)) {
    return `. Node loads this file as CommonJS: write module.exports = { ... }, or rename it to ${base}.mjs`;
  }
  if (/(module|exports|require) is not defined in ES module scope/.test(message)) {
    return `. Node loads this file as an ES module: write export default { ... }, or rename it to ${base}.cjs`;
  }
  return "";
}
