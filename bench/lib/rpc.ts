/**
 * Child side of the bench's IPC: the parent sends `{ rpc, cmd, args }`, the child
 * answers `{ rpc, ok, result | error }`. Every bench child (raw workers, and the
 * listener modules loaded by the real `nats-events register-listeners`) serves
 * `cpu` and `memory` besides its own commands, and exits when the parent goes away.
 */
export type Handler = (args: Record<string, unknown>) => unknown;

const handlers = new Map<string, Handler>();
let installed = false;

export function serve(commands: Record<string, Handler>): void {
  for (const [name, handler] of Object.entries(commands)) handlers.set(name, handler);
  if (installed) return;
  installed = true;
  handlers.set("cpu", () => process.cpuUsage());
  handlers.set("memory", () => memorySnapshot());
  process.on("message", (message: { rpc?: number; cmd?: string; args?: Record<string, unknown> }) => {
    if (typeof message !== "object" || message === null || typeof message.rpc !== "number") return;
    const { rpc, cmd = "", args = {} } = message;
    const handler = handlers.get(cmd);
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command "${cmd}"`);
        return handler(args);
      })
      .then(
        (result) => process.send?.({ rpc, ok: true, result }),
        (err: unknown) => process.send?.({ rpc, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
  // The parent is gone (crashed or killed): never linger as an orphan.
  process.on("disconnect", () => process.exit(0));
}

export interface MemorySnapshot {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  gc: boolean;
}

/** process.memoryUsage() after a full GC when the process runs with --expose-gc. */
export function memorySnapshot(): MemorySnapshot {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external, arrayBuffers: usage.arrayBuffers, gc: Boolean(gc) };
}

export function cpuMicros(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}
