import { createRequire } from "node:module";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ProcessGroup } from "./processes.js";

const PM2_CLI = createRequire(import.meta.url).resolve("pm2/bin/pm2");

/** One app of an ecosystem file (the fields the tests use; pm2 takes many more). */
export interface Pm2App {
  name: string;
  script: string;
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
  instances?: number;
  wait_ready?: boolean;
  listen_timeout?: number;
  kill_timeout?: number;
  autorestart?: boolean;
}

export interface Pm2Options {
  /**
   * The signal the daemon stops apps with (pm2 7 reads PM2_KILL_SIGNAL once, when its daemon
   * starts; there is no per-app setting). Default: pm2's own, SIGINT.
   */
  killSignal?: NodeJS.Signals;
}

/**
 * A real pm2 daemon of its own: PM2_HOME in a temporary directory, so a test never sees or
 * touches the user's pm2. Each app's stdout goes to `<home>/<name>.out.log` (read it with logLines()).
 * Call kill() in an after() hook: it stops the daemon and its apps and removes the directory.
 */
export class Pm2 {
  readonly #group = new ProcessGroup();
  private constructor(
    readonly home: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(options: Pm2Options = {}): Promise<Pm2> {
    const home = await mkdtemp(path.join(os.tmpdir(), "nats-events-pm2-"));
    return new Pm2(home, { PM2_HOME: home, ...(options.killSignal && { PM2_KILL_SIGNAL: options.killSignal }) });
  }

  /** Runs `pm2 <args>` to its end; rejects with the output when it exits non-zero. */
  async run(args: readonly string[], timeoutMs = 30_000): Promise<string> {
    const command = this.#group.spawn(process.execPath, [PM2_CLI, ...args], { name: `pm2 ${args[0]}`, env: this.env });
    const exit = await command.waitForExit(timeoutMs, `"pm2 ${args.join(" ")}" to finish`);
    if (exit.code !== 0) throw new Error(`"pm2 ${args.join(" ")}" exited with ${exit.signal ?? exit.code}\n${command.output()}`);
    return command.stdoutLines.join("\n");
  }

  /** Writes an ecosystem file for `apps` and starts it (pm2 waits for `ready` of apps with wait_ready). */
  async startApps(apps: readonly Pm2App[]): Promise<void> {
    const withLogs = apps.map((app) => ({ out_file: this.#log(app.name, "out"), error_file: this.#log(app.name, "err"), ...app }));
    const file = path.join(this.home, "ecosystem.config.json");
    await writeFile(file, JSON.stringify({ apps: withLogs }, null, 2));
    await this.run(["start", file]);
  }

  /** pm2's view of every app: name, pid, status ("online", "stopped", ...). */
  async list(): Promise<Array<{ name: string; pid: number; status: string }>> {
    const raw = JSON.parse(await this.run(["jlist"])) as Array<{ name: string; pid: number; pm2_env: { status: string } }>;
    return raw.map((app) => ({ name: app.name, pid: app.pid, status: app.pm2_env.status }));
  }

  /** The JSON lines an app wrote to stdout so far. */
  async logLines(name: string): Promise<Array<Record<string, unknown>>> {
    const text = await readFile(this.#log(name, "out"), "utf8").catch(() => "");
    return text
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** What an app wrote to stdout and stderr, for failure messages. */
  async output(name: string): Promise<string> {
    const read = (stream: "out" | "err") => readFile(this.#log(name, stream), "utf8").catch(() => "(none)");
    return `--- ${name} stdout ---\n${await read("out")}\n--- ${name} stderr ---\n${await read("err")}\n--- end ${name} ---`;
  }

  /** Stops the daemon (and every app), then removes PM2_HOME. */
  async kill(): Promise<void> {
    await this.run(["kill"]).catch(() => undefined);
    await this.#group.killAll();
    await rm(this.home, { recursive: true, force: true });
  }

  #log(name: string, stream: "out" | "err"): string {
    return path.join(this.home, `${name}.${stream}.log`);
  }
}
