import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { freePort, isExecutable } from "./nats-server.js";

/**
 * A real nats-streaming-server for the stan tests. There is no Debian or npm package
 * of it (NATS Streaming reached end of life in 2023), so the tests that need one run
 * only where a binary is available and are reported as skipped elsewhere.
 */
export interface StreamingServer {
  /** nats://127.0.0.1:<port> of its NATS server (embedded, or the external one it was given). */
  readonly url: string;
  readonly clusterId: string;
  /** http://127.0.0.1:<port> of its monitoring endpoint (/streaming/clientsz, /streaming/channelsz). */
  readonly monitorUrl: string;
  /** SIGTERM (SIGKILL after 3 s) and wait for the exit. Idempotent. */
  stop(): Promise<void>;
  output(): string;
}

export interface StreamingServerOptions {
  clusterId?: string;
  /** Connect to this NATS server (-ns) instead of embedding one: how a JetStream migration runs both. */
  natsUrl?: string;
  startTimeoutMs?: number;
}

const HOST = "127.0.0.1";
const OUTPUT_LIMIT = 64 * 1024;
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * $NATS_STREAMING_SERVER_BIN, else `nats-streaming-server` on PATH; undefined when there
 * is neither (callers skip, saying so). A variable naming a missing file is an error.
 */
export function streamingServerBinary(): string | undefined {
  const fromEnv = process.env.NATS_STREAMING_SERVER_BIN;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(`NATS_STREAMING_SERVER_BIN=${fromEnv} is not an executable file. Point it at a nats-streaming-server binary, or unset it.`);
  }
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, "nats-streaming-server"))) return path.join(dir, "nats-streaming-server");
  }
  return undefined;
}

/** Why the stan tests are skipped here, or undefined when they can run. */
export function streamingServerSkipReason(): string | undefined {
  return streamingServerBinary()
    ? undefined
    : "no nats-streaming-server binary (set NATS_STREAMING_SERVER_BIN or put it on PATH); NATS Streaming is end-of-life and has no Debian or npm package";
}

/**
 * Spawns nats-streaming-server on free loopback ports with an in-memory store and no
 * channel limit, and resolves once it logged "Streaming Server is ready".
 */
export async function startStreamingServer(options: StreamingServerOptions = {}): Promise<StreamingServer> {
  const binary = streamingServerBinary();
  if (!binary) throw new Error(streamingServerSkipReason());
  const clusterId = options.clusterId ?? "test-cluster";
  const monitorPort = await freePort();
  const natsPort = options.natsUrl ? undefined : await freePort();
  const args = ["-a", HOST, "-m", String(monitorPort), "-cid", clusterId, "-st", "MEMORY", "-mc", "0", "-msu", "0"];
  if (options.natsUrl) args.push("-ns", options.natsUrl);
  else args.push("-p", String(natsPort));
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  let exited: string | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
      if (output.includes("Streaming Server is ready")) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code, signal) => {
      running.delete(child);
      exited = `exited with ${signal ?? `code ${code}`}`;
      reject(new Error(exited));
    });
    child.once("error", (err) => reject(err));
  });
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([ready, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs)))]);
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`nats-streaming-server (${binary} ${args.join(" ")}) ${(err as Error).message}.\n--- server output ---\n${output || "(none)"}\n--- end ---`);
  } finally {
    clearTimeout(timer);
  }

  let stopping: Promise<void> | undefined;
  return {
    url: options.natsUrl ?? `nats://${HOST}:${natsPort}`,
    clusterId,
    monitorUrl: `http://${HOST}:${monitorPort}`,
    stop() {
      stopping ??= (async () => {
        if (exited) return;
        const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
        await done;
        clearTimeout(killer);
      })();
      return stopping;
    },
    output: () => output,
  };
}

/** The client ids the streaming server holds right now (its monitoring endpoint). */
export async function streamingClientIds(server: StreamingServer): Promise<string[]> {
  const response = await fetch(`${server.monitorUrl}/streaming/clientsz`);
  const body = (await response.json()) as { clients?: Array<{ id: string }> };
  return (body.clients ?? []).map((client) => client.id);
}
