import { spawn, type ChildProcess } from "node:child_process";
import { after } from "node:test";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EventBus, createConsoleLogger, type ConnectOptions } from "express-nats-events";

/** Paths of the built project (this file runs from dist/test/helpers/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const CLI = path.join(ROOT, "dist/src/cli/main.js");
export const EXAMPLE_DIR = path.join(ROOT, "example-app");
export const EXAMPLE_SERVER = path.join(ROOT, "dist/example-app/server.js");
/** Compiled fixture listener modules (test/fixtures/*.ts). */
export const FIXTURES = path.join(ROOT, "dist/test/fixtures");

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/** One pino log line. */
export interface LogLine extends Record<string, unknown> {
  readonly level: number;
  readonly msg: string;
}

export const LogLevels = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Shown in failure messages ("listener-1", "web", ...). */
  name: string;
  cwd?: string;
  /** Added to a cleaned copy of this process's environment (NATS_* variables removed). */
  env?: Record<string, string | undefined>;
  /** Open an IPC channel, as pm2 does, so the child's process.send("ready") arrives here. */
  ipc?: boolean;
  /**
   * Its own process group (pm2-runtime and the apps it starts): kill() then kills the whole group,
   * so no grandchild outlives a failing test.
   */
  processGroup?: boolean;
}

type Stream = "stdout" | "stderr" | "any";
type LineMatch = string | RegExp | ((line: string) => boolean);

interface Waiter {
  check(): boolean;
  fail(why: string): void;
}

const OUTPUT_TAIL = 40;
const running = new Set<ChildProcess>();
/** Process groups started with `processGroup: true` (by their leader's pid), killed whole on exit. */
const groups = new Set<number>();

// A test process that dies without cleaning up must not leave children behind.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
  for (const leader of groups) {
    try {
      process.kill(-leader, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
});

/** The environment for a child: ours without NATS_* / node:test variables, plus `extra`. */
function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("NATS_") || key.startsWith("NODE_TEST") || key.startsWith("E2E_")) continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/**
 * One child process with its output kept as lines, and event-driven waits on
 * lines, IPC messages and the exit. Every wait has a loud timeout and fails at
 * once (with the output tail) if the process exits first.
 */
export class TestProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  /** Both streams in arrival order, prefixed "out|" / "err|". */
  readonly allLines: string[] = [];
  readonly messages: unknown[] = [];
  readonly exited: Promise<Exit>;
  readonly startedAt = Date.now();
  exit: Exit | undefined;
  exitedAt: number | undefined;
  #waiters = new Set<Waiter>();
  #processGroup = false;
  #parsed: Array<Record<string, unknown>> = [];
  #parsedUpTo = 0;

  constructor(command: string, args: readonly string[], options: SpawnOptions) {
    this.name = options.name;
    this.child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: childEnv(options.env),
      stdio: options.ipc ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
      detached: options.processGroup === true,
    });
    this.#processGroup = options.processGroup === true;
    if (this.#processGroup && this.child.pid !== undefined) groups.add(this.child.pid);
    running.add(this.child);
    this.#readLines("stdout");
    this.#readLines("stderr");
    this.child.on("message", (message) => {
      this.messages.push(message);
      this.#notify();
    });
    this.exited = new Promise<Exit>((resolve) => {
      const done = (exit: Exit) => {
        if (this.exit) return;
        running.delete(this.child);
        this.exit = exit;
        this.exitedAt = Date.now();
        resolve(exit);
        this.#notify();
      };
      // "close" fires after the stdio streams ended, so every line is in by then.
      this.child.once("close", (code, signal) => done({ code, signal }));
      this.child.once("error", (err) => {
        this.stderrLines.push(`spawn error: ${err.message}`);
        done({ code: null, signal: null });
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get isRunning(): boolean {
    return this.exit === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** stdout lines that parse as JSON objects (what fixtures and example listeners print). */
  json(): Array<Record<string, unknown>> {
    // Parsed once per line: waits re-check this on every chunk of output.
    for (; this.#parsedUpTo < this.stdoutLines.length; this.#parsedUpTo++) {
      const line = this.stdoutLines[this.#parsedUpTo]!;
      if (!line.startsWith("{")) continue;
      try {
        this.#parsed.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not one of ours.
      }
    }
    return this.#parsed;
  }

  /**
   * The process's pino log lines (stdout JSON with a numeric `level` and a `msg`), optionally
   * only those whose message contains `message`. Levels: 20 debug, 30 info, 40 warn, 50 error.
   */
  logs(message?: string): Array<LogLine> {
    return this.json().filter((record): record is LogLine => typeof record.msg === "string" && typeof record.level === "number" && (message === undefined || record.msg.includes(message)));
  }

  /** Waits for a log line whose message contains `message` (and that `filter` accepts); returns it. */
  async waitForLog(message: string, timeoutMs: number, filter: (line: LogLine) => boolean = () => true): Promise<LogLine> {
    let found: LogLine | undefined;
    await this.waitUntil(() => (found = this.logs(message).find(filter)) !== undefined, timeoutMs, `a log line "${message}"`);
    return found!;
  }

  /** JSON lines with `event === name`. */
  events(name: string): Array<Record<string, unknown>> {
    return this.json().filter((record) => record.event === name);
  }

  /** The last lines of both streams, for failure messages. */
  output(lines = OUTPUT_TAIL): string {
    const tail = this.allLines.slice(-lines).join("\n");
    const state = this.exit ? `exited with ${this.exit.signal ?? `code ${this.exit.code}`}` : "running";
    return `--- ${this.name} (pid ${this.child.pid}, ${state}) last ${lines} lines ---\n${tail || "(no output)"}\n--- end ${this.name} ---`;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.isRunning) this.child.kill(signal);
  }

  /** Waits until `condition()` is true (re-checked on every line, message and exit). */
  waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return this.#wait(() => (condition() ? { value: undefined } : undefined), timeoutMs, what);
  }

  /** The first line (from now on or already seen) that matches. */
  waitForLine(match: LineMatch, timeoutMs: number, what: string, stream: Stream = "any"): Promise<string> {
    const test = toPredicate(match);
    return this.#wait(() => {
      const found = this.#lines(stream).find(test);
      return found === undefined ? undefined : { value: found };
    }, timeoutMs, what);
  }

  /** Waits for `count` JSON lines of event `name` (optionally filtered) and returns them. */
  async waitForEvents(
    name: string,
    count: number,
    timeoutMs: number,
    filter: (record: Record<string, unknown>) => boolean = () => true,
  ): Promise<Array<Record<string, unknown>>> {
    let found: Array<Record<string, unknown>> = [];
    await this.#wait(() => {
      found = this.events(name).filter(filter);
      return found.length >= count ? { value: undefined } : undefined;
    }, timeoutMs, () => `${count} "${name}" lines (got ${found.length})`);
    return found;
  }

  /** The pm2 contract: waits for process.send("ready") over the IPC channel. */
  waitForReady(timeoutMs = 15_000): Promise<void> {
    return this.#wait(() => (this.messages.includes("ready") ? { value: undefined } : undefined), timeoutMs, 'the IPC message "ready"');
  }

  /** Waits for the exit (which must happen within `timeoutMs`). */
  async waitForExit(timeoutMs: number, what = "the process to exit"): Promise<Exit> {
    await this.#wait(() => (this.exit ? { value: undefined } : undefined), timeoutMs, what, true);
    return this.exit!;
  }

  /** SIGKILL if still running; resolves once it exited. */
  async kill(): Promise<Exit> {
    if (this.#processGroup) {
      try {
        process.kill(-this.pid, "SIGKILL"); // the group may outlive its leader: grandchildren still in it
      } catch {
        // The group is gone already.
      }
      groups.delete(this.pid);
    } else if (this.isRunning) {
      this.child.kill("SIGKILL");
    }
    return this.exited;
  }

  #wait<T>(probe: () => { value: T } | undefined, timeoutMs: number, what: string | (() => string), exitIsFine = false): Promise<T> {
    const describe = () => (typeof what === "string" ? what : what());
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        check: () => {
          const result = probe();
          if (result) {
            finish();
            resolve(result.value);
            return true;
          }
          if (this.exit && !exitIsFine) {
            waiter.fail(`${this.name} exited (${this.exit.signal ?? `code ${this.exit.code}`}) before ${describe()}`);
            return true;
          }
          return false;
        },
        fail: (why) => {
          finish();
          reject(new Error(`${why}\n${this.output()}`));
        },
      };
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      if (waiter.check()) return;
      this.#waiters.add(waiter);
      timer = setTimeout(() => waiter.fail(`timed out after ${timeoutMs} ms waiting for ${describe()} from ${this.name}`), timeoutMs);
    });
  }

  #lines(stream: Stream): string[] {
    if (stream === "stdout") return this.stdoutLines;
    if (stream === "stderr") return this.stderrLines;
    return this.allLines.map((line) => line.slice(4));
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter.check();
  }

  #readLines(stream: "stdout" | "stderr"): void {
    const target = stream === "stdout" ? this.stdoutLines : this.stderrLines;
    const prefix = stream === "stdout" ? "out|" : "err|";
    let rest = "";
    const source = this.child[stream]!;
    source.setEncoding("utf8");
    source.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        target.push(line);
        this.allLines.push(prefix + line);
      }
      if (parts.length > 0) this.#notify();
    });
    source.on("end", () => {
      if (rest) {
        target.push(rest);
        this.allLines.push(prefix + rest);
        rest = "";
        this.#notify();
      }
    });
  }
}

function toPredicate(match: LineMatch): (line: string) => boolean {
  if (typeof match === "string") return (line) => line.includes(match);
  if (match instanceof RegExp) return (line) => match.test(line);
  return match;
}

/** The children of one test file; killAll() in an after() hook so none outlives a failing test. */
export class ProcessGroup {
  readonly processes: TestProcess[] = [];

  spawn(command: string, args: readonly string[], options: SpawnOptions): TestProcess {
    const child = new TestProcess(command, args, options);
    this.processes.push(child);
    return child;
  }

  /** `node dist/src/cli/main.js <args>` */
  cli(args: readonly string[], options: SpawnOptions): TestProcess {
    return this.spawn(process.execPath, [CLI, ...args], options);
  }

  /** A register-listeners process with an IPC channel (like pm2); resolves once it sent "ready". */
  async listeners(modules: readonly string[], options: SpawnOptions & { readyTimeoutMs?: number }): Promise<TestProcess> {
    const child = this.cli(["register-listeners", ...modules], { ipc: true, ...options });
    await child.waitForReady(options.readyTimeoutMs ?? 15_000);
    return child;
  }

  /** Runs a short command to its end and returns the process (for exit code and output). */
  async run(args: readonly string[], options: SpawnOptions & { timeoutMs?: number }): Promise<TestProcess> {
    const child = this.cli(args, options);
    await child.waitForExit(options.timeoutMs ?? 15_000, `"nats-events ${args.join(" ")}" to finish`);
    return child;
  }

  /** Outputs of every process, for a failure diagnostic. */
  output(): string {
    return this.processes.map((child) => child.output()).join("\n");
  }

  /** SIGKILLs whatever still runs and waits for every exit. */
  async killAll(): Promise<void> {
    await Promise.all(this.processes.map((child) => child.kill()));
  }
}

/**
 * After a reconnect, core NATS keeps nothing for a subscriber whose re-subscription has not
 * reached the server yet, so a plain publish can be lost. A request is answered only once a
 * listener handled it: send requests (each with its own id) until one is answered.
 */
export async function requestUntilAnswered(bus: EventBus, subject: string, timeoutMs: number, id = "after-reconnect"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await bus.request(subject, { id: `${id}-${attempt}` }, { timeout: 1_000 });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`no answer on ${subject} within ${timeoutMs} ms (${attempt} requests)`, { cause: err });
    }
  }
}

/** fetch() that expects a JSON body, with a timeout, and measures how long the answer took. */
export async function fetchJson(
  url: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<{ status: number; body: Record<string, unknown>; elapsedMs: number }> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 10_000) });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${init.method ?? "GET"} ${url} answered ${response.status} with a body that is not JSON: ${text.slice(0, 300)}`);
  }
  return { status: response.status, body, elapsedMs: performance.now() - started };
}

/**
 * An EventBus in the test process (transport nats) that ignores this process's
 * NATS_* environment and any config file, so only `url` and `extra` count.
 */
export async function connectTestBus(url: string, extra: ConnectOptions = {}): Promise<EventBus> {
  const bus = new EventBus();
  await bus.connect({ transport: "nats", servers: [url], env: {}, cwd: ROOT, logger: createConsoleLogger("warn", "test-bus"), ...extra });
  return bus;
}

/**
 * What a test file sets up as it goes (servers, directories, buses), undone after its tests, the
 * last first, once the group's processes were killed (they may still use what is undone).
 */
export function undoAfterAll(group: ProcessGroup): (undo: () => Promise<unknown>) => void {
  const undos: Array<() => Promise<unknown>> = [];
  after(async () => {
    await group.killAll();
    for (const undo of undos.reverse()) await undo();
  });
  return (undo) => void undos.push(undo);
}
