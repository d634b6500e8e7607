import { pino, type DestinationStream } from "pino";
import { currentEventContext } from "./context/event-context.js";

/**
 * The logger shape we call: pino's `(fields, message)` signature, so a pino
 * logger (or anything compatible) can be passed in as it is.
 */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  /** pino has it; when present, debug lines are not even built while debug is off. */
  isLevelEnabled?(level: string): boolean;
}

const LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LoggerLevel = (typeof LEVELS)[number];

/**
 * Never logged, whatever a caller passes: pino replaces these fields with "[redacted]".
 * (Server URLs are logged only after their userinfo was replaced by "***".)
 */
const REDACTED_PATHS = ["pass", "password", "token", "nkeySeed", "auth", "*.pass", "*.password", "*.token", "*.nkeySeed", "*.auth", "headers.authorization", "headers.cookie"];

export interface CreateLoggerOptions {
  /** The `name` field of every line (default "nats-events"). */
  name?: string;
  /** File descriptor 1 (stdout, the default) or 2 (stderr), or any pino destination stream. */
  destination?: 1 | 2 | DestinationStream;
}

/**
 * The default logger: pino, one JSON line per event (`{"level":30,"time":...,"name":"nats-events","msg":"subscribed",...}`),
 * written synchronously so the last lines before process.exit() are not lost. Inside a
 * request or a handled message every line carries its `correlationId`.
 */
export function createLogger(level: LoggerLevel = "info", options: CreateLoggerOptions = {}): Logger {
  const destination = options.destination ?? 1;
  return pino(
    {
      name: options.name ?? "nats-events",
      level,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      mixin: () => {
        const context = currentEventContext();
        return context ? { correlationId: context.correlationId } : {};
      },
    },
    typeof destination === "number" ? pino.destination({ dest: destination, sync: true }) : destination,
  );
}

/**
 * A human-readable alternative: one line per event, `<time> <LEVEL> [name] <message> key=value ...`;
 * warnings and errors go to stderr. Handy in tests and scripts; production should keep pino's JSON.
 */
export function createConsoleLogger(level: LoggerLevel = "info", name = "nats-events"): Logger {
  const threshold = LEVELS.indexOf(level);
  const write = (at: LoggerLevel) => (fields: object, message: string) => {
    if (LEVELS.indexOf(at) < threshold) return;
    const pairs = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${typeof value === "string" && !/\s/.test(value) ? value : JSON.stringify(value instanceof Error ? value.stack ?? value.message : value)}`);
    const line = [new Date().toISOString(), at.toUpperCase(), `[${name}]`, message, ...pairs].join(" ");
    (at === "warn" || at === "error" ? process.stderr : process.stdout).write(line + "\n");
  };
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    isLevelEnabled: (at: string) => LEVELS.indexOf(at as LoggerLevel) >= threshold,
  };
}
