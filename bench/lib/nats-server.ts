import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { natsServerBinary } from "../../src/testing/nats-server.js";

/**
 * The bench's own nats-server: one process on free loopback ports (the server picks
 * them: `listen: -1`, read back from its ports file), JetStream with a temporary
 * store_dir, the HTTP monitor on (the bench reads /varz to check what arrived).
 * The binary is found as the testing kit finds it (NATS_SERVER_BIN, PATH, /usr/sbin).
 */
export interface BenchServer {
  readonly url: string;
  readonly monitorUrl: string;
  readonly pid: number;
  readonly binary: string;
  readonly version: string;
  /** Counters from the monitor's /varz (in_msgs, out_msgs, slow_consumers, ...). */
  varz(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
let current: ChildProcess | undefined;
process.once("exit", () => current?.kill("SIGKILL"));

export async function startBenchServer(): Promise<BenchServer> {
  const binary = natsServerBinary();
  const dir = await mkdtemp(path.join(os.tmpdir(), "nats-events-bench-"));
  const portsDir = path.join(dir, "ports");
  await mkdir(portsDir);
  const q = JSON.stringify;
  const config = [
    `listen: ${q(`${HOST}:-1`)}`,
    `http: ${q(`${HOST}:-1`)}`,
    `ports_file_dir: ${q(portsDir)}`,
    // A listener that falls behind a publisher is buffered by the server; the bench's
    // bursts stay below this, so a slow listener shows as lower throughput, not as a disconnect.
    `max_pending: ${512 * 1024 * 1024}`,
    `write_deadline: "30s"`,
    `jetstream { store_dir: ${q(path.join(dir, "js"))} }`,
  ].join("\n");
  await writeFile(path.join(dir, "server.conf"), config + "\n");
  const child = spawn(binary, ["-c", path.join(dir, "server.conf")], { stdio: ["ignore", "pipe", "pipe"] });
  current = child;
  let output = "";
  const append = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-32_768));
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  let exited: string | undefined;
  child.once("exit", (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  child.once("error", (err) => (exited = `could not start: ${err.message}`));

  const deadline = Date.now() + 10_000;
  let ports: { nats?: string[]; monitoring?: string[] } | undefined;
  while (!ports?.nats?.[0] || !ports.monitoring?.[0] || !(await canConnect(Number(new URL(ports.nats[0]).port)))) {
    if (exited || Date.now() > deadline) {
      child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
      throw new Error(`nats-server (${binary}) ${exited ?? "did not start within 10 s"}\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    ports = await readPorts(portsDir);
  }
  const version = /Version:\s+(\S+)/.exec(output)?.[1] ?? "?";
  const url = `nats://${HOST}:${new URL(ports.nats[0]).port}`;
  const monitorUrl = ports.monitoring[0];
  let stopping: Promise<void> | undefined;
  return {
    url,
    monitorUrl,
    pid: child.pid!,
    binary,
    version,
    async varz() {
      const response = await fetch(`${monitorUrl}/varz`);
      return (await response.json()) as Record<string, unknown>;
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const gone = new Promise((resolve) => child.once("exit", resolve));
          child.kill("SIGTERM");
          const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
          await gone;
          clearTimeout(killer);
        }
        current = undefined;
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

async function readPorts(dir: string): Promise<{ nats?: string[]; monitoring?: string[] } | undefined> {
  try {
    const file = (await readdir(dir)).find((name) => name.endsWith(".ports"));
    return file ? JSON.parse(await readFile(path.join(dir, file), "utf8")) : undefined;
  } catch {
    return undefined; // not written completely yet
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => (socket.destroy(), resolve(false)));
  });
}
