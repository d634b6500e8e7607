/**
 * The logger shape we call: pino's `(fields, message)` signature, so a pino
 * logger (or anything compatible) can be passed in as it is.
 */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LoggerLevel = (typeof LEVELS)[number];

/** One readable line per event: `<time> <LEVEL> <message> key=value ...`; warnings and errors go to stderr. */
export function createConsoleLogger(level: LoggerLevel = "info", name = "nats-events"): Logger {
  const threshold = LEVELS.indexOf(level);
  const write = (at: LoggerLevel) => (fields: object, message: string) => {
    if (LEVELS.indexOf(at) < threshold) return;
    const pairs = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${typeof value === "string" && !/\s/.test(value) ? value : JSON.stringify(value)}`);
    const line = [new Date().toISOString(), at.toUpperCase(), `[${name}]`, message, ...pairs].join(" ");
    (at === "warn" || at === "error" ? process.stderr : process.stdout).write(line + "\n");
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
