/**
 * Small shared pieces of the integration tests (not a test file itself).
 * NATS servers come from ../helpers/nats-server.ts and waiting from ../helpers/unique.ts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { after, before } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { BusStatus, EventBus, Logger } from "../../src/index.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { waitFor } from "../helpers/unique.js";

/** Discards every line: these tests assert on behaviour, not on logs. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface CapturedLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  readonly fields: object;
  /** `LEVEL message {"field":...}`: what a log sink would store. */
  readonly text: string;
}

/** A logger that keeps every line it is given, at every level. */
export function capturingLogger(): { logger: Logger; lines: CapturedLine[] } {
  const lines: CapturedLine[] = [];
  const at = (level: CapturedLine["level"]) => (fields: object, message: string) => {
    lines.push({ level, message, fields, text: `${level.toUpperCase()} ${message} ${safeJson(fields)}` });
  };
  return { logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, lines };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v));
  } catch {
    return String(value);
  }
}

/** An empty temporary directory to pass as `cwd`, so no config file of the machine is found. */
export function tempCwd(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `nats-events-${prefix}-`));
}

export function removeDir(dir: string | undefined): Promise<void> {
  return dir ? rm(dir, { recursive: true, force: true }) : Promise.resolve();
}

/** What serverWithRawClient() sets up for a test file. */
export interface ServerWithRawClient {
  readonly nats: NatsServer;
  /** A plain nats.js connection: what a service in another language would see and send. */
  readonly raw: NatsConnection;
  /** An empty directory to pass as `cwd`. */
  readonly cwd: string;
  /** Closes `bus` after the file's tests; returns it. */
  keep(bus: EventBus): EventBus;
}

/**
 * For a test file: a nats-server of its own, an empty `cwd` and a raw nats.js connection, set up
 * before its tests (then `setUp`, if given, in the same hook); after them the buses it kept are
 * closed, then the rest is stopped and removed.
 */
export function serverWithRawClient(name: string, setUp?: (raw: NatsConnection) => Promise<void>): ServerWithRawClient {
  let nats: NatsServer | undefined;
  let raw: NatsConnection | undefined;
  let cwd: string | undefined;
  const buses: EventBus[] = [];
  before(async () => {
    nats = await startNatsServer();
    cwd = await tempCwd(name);
    raw = await connect({ servers: nats.url, name: `${name}-raw-client` });
    await setUp?.(raw);
  });
  after(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
    await raw?.close();
    await nats?.stop();
    await removeDir(cwd);
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("serverWithRawClient: used outside the file's tests (before its `before` hook ran)");
    return value;
  };
  return {
    get nats() {
      return ready(nats);
    },
    get raw() {
      return ready(raw);
    },
    get cwd() {
      return ready(cwd);
    },
    keep(bus) {
      buses.push(bus);
      return bus;
    },
  };
}

/** Records every status a bus reports, so a test can await a transition (not just a current value). */
export class StatusRecorder {
  readonly seen: BusStatus[] = [];
  readonly stop: () => void;

  constructor(private readonly bus: EventBus) {
    this.stop = bus.onStatusChange((status) => this.seen.push(status));
  }

  /** Resolves once `status` was reported at index `from` or later; fails loudly with what was seen. */
  async waitFor(status: BusStatus, from: number, timeoutMs: number): Promise<number> {
    const found = () => this.seen.indexOf(status, from);
    await waitFor(() => found() !== -1, timeoutMs, `bus status "${status}" (after index ${from})`).catch((err: Error) => {
      throw new Error(`${err.message}; statuses seen: ${JSON.stringify(this.seen)}, current: ${this.bus.status}`);
    });
    return found();
  }
}

/** Starts `listen(0, 127.0.0.1)` on anything Express-like and resolves with the server and its base URL. */
export function listenOnFreePort(listen: (port: number, host: string, ready: () => void) => Server): Promise<{ server: Server; baseUrl: string }> {
  return new Promise((resolve, reject) => {
    const server = listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, baseUrl: `http://127.0.0.1:${port}` });
    });
    server.once("error", reject);
  });
}

export interface HttpResult {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: unknown;
  readonly elapsedMs: number;
}

/** One HTTP call with a loud timeout; JSON bodies are parsed. */
export async function httpCall(method: "GET" | "POST", url: string, body?: unknown, timeoutMs = 5_000): Promise<HttpResult> {
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new Error(`${method} ${url} failed or got no response within ${timeoutMs} ms: ${(err as Error).message}`, { cause: err });
  }
  const text = await response.text();
  const contentType = response.headers.get("content-type");
  let parsed: unknown = text;
  if (contentType?.includes("application/json")) parsed = JSON.parse(text);
  return { status: response.status, contentType, body: parsed, elapsedMs: performance.now() - started };
}
