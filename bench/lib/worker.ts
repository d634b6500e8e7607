import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Paths of the built project (this file runs from dist/bench/lib/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const DIST_BENCH = path.join(ROOT, "dist/bench");
export const CLI = path.join(ROOT, "dist/src/cli/main.js");
export const BENCH_SRC = path.join(ROOT, "bench");

const TAIL = 60;
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface WorkerOptions {
  /** Extra environment (NATS_* of the bench's own environment are removed first). */
  env?: Record<string, string | undefined>;
  /** Node flags (--expose-gc, --cpu-prof ...). */
  nodeFlags?: string[];
}

/** Node flags every child gets (set by main.ts from --cpu-prof). */
export const globalNodeFlags: string[] = [];

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One bench child process with an IPC channel: `call(cmd, args)` runs a command
 * in it (lib/rpc.ts), `ready()` waits for the "ready" message (sent by
 * register-listeners, as pm2 expects, and by the raw workers).
 */
export class Worker {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #ready: Promise<void>;
  #exit: Promise<void>;
  #exited: string | undefined;

  private constructor(readonly name: string, script: string, args: string[], options: WorkerOptions) {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("NATS_") && !key.startsWith("BENCH_")) env[key] = value;
    for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
    this.child = spawn(process.execPath, [...globalNodeFlags, ...(options.nodeFlags ?? []), script, ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    running.add(this.child);
    const keep = (prefix: string) => (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line) this.lines.push(prefix + line);
      if (this.lines.length > TAIL) this.lines.splice(0, this.lines.length - TAIL);
    };
    this.child.stdout!.on("data", keep(""));
    this.child.stderr!.on("data", keep("! "));
    let readyResolve!: () => void;
    let readyReject!: (err: Error) => void;
    this.#ready = new Promise((resolve, reject) => ((readyResolve = resolve), (readyReject = reject)));
    this.#ready.catch(() => undefined);
    this.child.on("message", (message: unknown) => {
      if (message === "ready") return readyResolve();
      const reply = message as { rpc?: number; ok?: boolean; result?: unknown; error?: string };
      const pending = typeof reply.rpc === "number" ? this.#pending.get(reply.rpc) : undefined;
      if (!pending) return;
      this.#pending.delete(reply.rpc!);
      clearTimeout(pending.timer);
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new Error(`${this.name}: ${reply.error}`));
    });
    this.#exit = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        running.delete(this.child);
        this.#exited = `exited with ${signal ?? `code ${code}`}`;
        const error = this.#failure(this.#exited);
        readyReject(error);
        for (const pending of this.#pending.values()) {
          clearTimeout(pending.timer);
          pending.reject(error);
        }
        this.#pending.clear();
        resolve();
      }),
    );
  }

  static start(name: string, script: string, args: string[] = [], options: WorkerOptions = {}): Worker {
    return new Worker(name, script, args, options);
  }

  /** Waits for the child's "ready" message. */
  async ready(timeoutMs = 30_000): Promise<this> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(this.#failure(`not ready after ${timeoutMs} ms`)), timeoutMs)));
    try {
      await Promise.race([this.#ready, timeout]);
      return this;
    } finally {
      clearTimeout(timer);
    }
  }

  call<T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 180_000): Promise<T> {
    if (this.#exited) return Promise.reject(this.#failure(this.#exited));
    const rpc = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(rpc);
        reject(this.#failure(`no answer to "${cmd}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(rpc, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.child.send({ rpc, cmd, args });
    });
  }

  /** SIGTERM (a graceful drain for register-listeners), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#exited) return;
    this.child.kill("SIGTERM");
    const killer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.#exit;
    clearTimeout(killer);
  }

  #failure(why: string): Error {
    return new Error(`${this.name} (pid ${this.child.pid}) ${why}\n--- last output ---\n${this.lines.join("\n") || "(none)"}\n---`);
  }
}

/** Starts workers, waits until all are ready, stops them all afterwards (even on failure). */
export async function withWorkers<T>(starts: Array<() => Worker>, body: (workers: Worker[]) => Promise<T>): Promise<T> {
  const workers: Worker[] = [];
  try {
    for (const start of starts) workers.push(start());
    await Promise.all(workers.map((worker) => worker.ready()));
    return await body(workers);
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}
