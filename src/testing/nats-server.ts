/**
 * A real nats-server for integration tests (part of `express-nats-events/testing`; the
 * project's own tests use it too): a free loopback port, JetStream in a temporary
 * store dir, stop() removes it. Failures throw EventBusError EB_ERR_TEST_SERVER.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ErrorCodes, EventBusError } from "../errors.js";

export interface NatsServerOptions {
  /** This nats-server binary instead of natsServerBinary() (a test that needs a particular server version). */
  binary?: string;
  /** JetStream with a temporary store_dir (default true). */
  jetstream?: boolean;
  /** Require this user and `pass` to connect. */
  user?: string;
  pass?: string;
  /** Require this token to connect. */
  token?: string;
  /** Listen on this port instead of one the server picks (to start a server "later" on a port a client already tries). */
  port?: number;
  /** How long to wait for the server to accept connections (default 10 s). */
  startTimeoutMs?: number;
  /** The server's max_payload in bytes (default: the server's own, 1 MiB). */
  maxPayload?: number;
  /** server_name (a JetStream cluster needs a unique one per node). */
  serverName?: string;
  /** Join a cluster: listen for routes on `port` and connect to every route port given (its own included: the server skips itself). */
  cluster?: { name: string; port: number; routes: number[] };
}

export interface NatsServer {
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Temporary directory holding the JetStream store, config and ports file; removed by stop(). */
  readonly storeDir: string;
  /** SIGTERM (SIGKILL after 3 s), waits for the exit, removes storeDir. Idempotent. */
  stop(): Promise<void>;
  /** Stops the process (keeping storeDir) and starts it again on the same port. */
  restart(): Promise<void>;
  /** SIGKILL, as a crash or a pulled plug would end it; storeDir is kept, so restart() brings the node back. */
  kill(): Promise<void>;
  /** Is the process running (started and not stopped, killed or exited)? */
  readonly running: boolean;
  /** Everything the server wrote to stdout/stderr (the last 64 KiB). */
  output(): string;
}

const HOST = "127.0.0.1";
const OUTPUT_LIMIT = 64 * 1024;
const KILL_AFTER_MS = 3_000;
const running = new Set<ChildProcess>();

// A test process that dies without calling stop() must not leave servers behind.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** The nats-server binary: $NATS_SERVER_BIN, else `nats-server` on PATH, else /usr/sbin/nats-server. */
export function natsServerBinary(): string {
  const fromEnv = process.env.NATS_SERVER_BIN;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new EventBusError(ErrorCodes.TEST_SERVER, `NATS_SERVER_BIN=${fromEnv} is not an executable file. Point it at a nats-server binary, or unset it to use the one on PATH.`);
  }
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, "nats-server"))) return path.join(dir, "nats-server");
  }
  if (isExecutable("/usr/sbin/nats-server")) return "/usr/sbin/nats-server";
  throw new EventBusError(
    ErrorCodes.TEST_SERVER,
    "nats-server binary not found: tests that need NATS spawn a real server. Install it " +
      "(Debian/Ubuntu: `apt-get install nats-server`; or download a release from https://github.com/nats-io/nats-server/releases) " +
      "and put it on PATH, or set NATS_SERVER_BIN to its path.",
  );
}

/** Can this process run `file`? */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A loopback port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Does something accept TCP connections on HOST:port right now? */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Spawns a real nats-server on a loopback port (picked by the server via
 * `port: -1` and a ports file, unless `options.port` is given), JetStream on
 * with a temporary store_dir, and resolves once it accepts TCP connections.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = options.binary ?? natsServerBinary();
  const storeDir = await mkdtemp(path.join(os.tmpdir(), "nats-events-test-"));
  const portsDir = path.join(storeDir, "ports");
  const configFile = path.join(storeDir, "server.conf");
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  let output = "";
  let child: ChildProcess | undefined;
  let port = options.port ?? -1;

  const launch = async (): Promise<void> => {
    await rm(portsDir, { recursive: true, force: true });
    await mkdir(portsDir);
    await writeFile(configFile, serverConfig({ ...options, port, storeDir, portsDir }));
    const process_ = spawn(binary, ["-c", configFile], { stdio: ["ignore", "pipe", "pipe"] });
    child = process_;
    running.add(process_);
    const append = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
    };
    process_.stdout!.on("data", append);
    process_.stderr!.on("data", append);
    let exited = undefined as string | undefined;
    process_.once("exit", (code, signal) => {
      running.delete(process_);
      exited = `exited with ${signal ?? `code ${code}`}`;
    });
    process_.once("error", (err) => (exited = `could not be spawned: ${err.message}`));

    const deadline = Date.now() + startTimeoutMs;
    const fail = (why: string) =>
      new EventBusError(ErrorCodes.TEST_SERVER, `nats-server (${binary}, config ${configFile}) ${why}.\n--- server output ---\n${output || "(none)"}\n--- end ---`);
    for (;;) {
      if (exited) throw fail(exited);
      if (Date.now() > deadline) {
        process_.kill("SIGKILL");
        throw fail(`did not accept connections within ${startTimeoutMs} ms`);
      }
      if (port === -1) port = (await readPortsFile(portsDir)) ?? -1;
      if (port !== -1 && (await canConnect(port))) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  const terminate = async (signal: NodeJS.Signals = "SIGTERM"): Promise<void> => {
    const process_ = child;
    child = undefined;
    if (!process_ || process_.exitCode !== null || process_.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => process_.once("exit", () => resolve()));
    process_.kill(signal);
    const killer = setTimeout(() => process_.kill("SIGKILL"), KILL_AFTER_MS);
    await exited;
    clearTimeout(killer);
  };

  try {
    await launch();
  } catch (err) {
    await terminate();
    await rm(storeDir, { recursive: true, force: true });
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    get url() {
      return `nats://${HOST}:${port}`;
    },
    get port() {
      return port;
    },
    storeDir,
    stop() {
      stopping ??= (async () => {
        await terminate();
        await rm(storeDir, { recursive: true, force: true });
      })();
      return stopping;
    },
    async restart() {
      if (stopping) throw new EventBusError(ErrorCodes.TEST_SERVER, `restart() after stop(): the server on port ${port} was stopped and its store dir removed; start a new one`);
      await terminate();
      await launch();
    },
    async kill() {
      await terminate("SIGKILL");
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    output: () => output,
  };
}

async function readPortsFile(dir: string): Promise<number | undefined> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((file) => file.endsWith(".ports"));
  } catch {
    return undefined;
  }
  for (const file of files) {
    try {
      const ports = JSON.parse(await readFile(path.join(dir, file), "utf8")) as { nats?: string[] };
      const url = ports.nats?.[0];
      if (url) return Number(new URL(url).port);
    } catch {
      // Written but not complete yet: try again on the next poll.
    }
  }
  return undefined;
}

function serverConfig(options: NatsServerOptions & { port: number; storeDir: string; portsDir: string }): string {
  const q = (value: string) => JSON.stringify(value);
  const lines = [`listen: ${q(`${HOST}:${options.port}`)}`, `ports_file_dir: ${q(options.portsDir)}`];
  if (options.jetstream ?? true) lines.push(`jetstream { store_dir: ${q(options.storeDir)} }`);
  if (options.maxPayload !== undefined) lines.push(`max_payload: ${options.maxPayload}`);
  if (options.serverName !== undefined) lines.push(`server_name: ${q(options.serverName)}`);
  if (options.cluster !== undefined) {
    const routes = options.cluster.routes.map((port) => q(`nats-route://${HOST}:${port}`));
    lines.push(`cluster { name: ${q(options.cluster.name)}, listen: ${q(`${HOST}:${options.cluster.port}`)}, routes: [${routes.join(", ")}] }`);
  }
  if (options.token !== undefined) lines.push(`authorization { token: ${q(options.token)} }`);
  else if (options.user !== undefined) lines.push(`authorization { user: ${q(options.user)}, password: ${q(options.pass ?? "")} }`);
  return lines.join("\n") + "\n";
}
