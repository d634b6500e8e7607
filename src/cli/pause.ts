import { EventBus } from "../bus/event-bus.js";
import { loadOptions } from "../bus/load-options.js";
import { ErrorCodes, EventBusError } from "../errors.js";
import { createLogger } from "../logger.js";
import { pauseConsumer, resumeConsumer, type PauseState, type PauseTarget } from "../transport/jetstream/consumer-pause.js";
import { JetStreamTransport } from "../transport/jetstream/jetstream-transport.js";
import { codeOptionsFrom, connectOptionsFrom, type ConnectionFlags } from "./connection-flags.js";
import { durationMs } from "./durations.js";
import { listenerRows, type ListenerRow } from "./listener-rows.js";
import { loadConfiguredListeners } from "./load-listener-modules.js";
import { formatTable } from "./table.js";

type PauseFlags = ConnectionFlags & { json?: boolean };

/**
 * `nats-events pause <group or listener> [--until <time>]`: pauses the durable consumers the
 * named queue group (or one listener, Class.method) reads from. Processes keep running and
 * receive nothing; messages stay in the stream and are delivered after the resume.
 */
export async function pauseCommand(name: string, modules: string[], flags: PauseFlags & { until?: string }): Promise<void> {
  const until = flags.until === undefined ? undefined : parseUntil(flags.until);
  await forEachConsumer(name, modules, flags, "paused", (transport, version, target) => pauseConsumer(transport.manager, version, target, until));
}

/** `nats-events resume <group or listener>`: the server delivers the paused consumers' messages again at once. */
export async function resumeCommand(name: string, modules: string[], flags: PauseFlags): Promise<void> {
  await forEachConsumer(name, modules, flags, "resumed", (transport, version, target) => resumeConsumer(transport.manager, version, target));
}

/**
 * `--until`: an ISO 8601 time ("2026-12-24T18:00:00Z", a date alone is midnight UTC) or a
 * duration from now ("90s", "15m", "2h", "1d"). It must lie in the future.
 */
export function parseUntil(text: string, now: number = Date.now()): Date {
  const duration = durationMs(text);
  const at = duration !== undefined ? now + duration : Date.parse(text);
  if (Number.isNaN(at)) {
    throw new EventBusError(ErrorCodes.CONFIG, `--until "${text}" is neither an ISO 8601 time (2026-12-24T18:00:00Z) nor a duration from now (90s, 15m, 2h, 1d)`);
  }
  if (at <= now) throw new EventBusError(ErrorCodes.CONFIG, `--until "${text}" is ${new Date(at).toISOString()}, which has passed; give a later time, or use nats-events resume`);
  return new Date(at);
}

async function forEachConsumer(
  name: string,
  modules: string[],
  flags: PauseFlags,
  done: "paused" | "resumed",
  act: (transport: JetStreamTransport, serverVersion: string | undefined, target: PauseTarget) => Promise<PauseState>,
): Promise<void> {
  const { options, configFile } = await loadOptions(codeOptionsFrom(flags), { configFile: flags.config });
  const logger = createLogger("warn", { destination: 2 });
  const rows = listenerRows(await loadConfiguredListeners(modules, options, configFile, logger), options);
  const targets = consumersOf(name, rows, options.transport);
  const bus = new EventBus();
  await bus.connect({ ...connectOptionsFrom(flags), logger, createStreamsOnConnect: false, metrics: false });
  const states: Array<PauseState & { listeners: string[] }> = [];
  const serverVersion = bus.serverVersion;
  try {
    const transport = bus.transport as JetStreamTransport;
    for (const target of targets) states.push({ ...(await act(transport, serverVersion, target)), listeners: target.listeners });
  } finally {
    await bus.drain();
  }
  if (flags.json) return void process.stdout.write(`${JSON.stringify({ serverVersion: serverVersion ?? null, consumers: states }, null, 2)}\n`);
  const rowsOut = states.map((s) => [`${s.stream}/${s.name}`, s.paused ? (s.pausedUntil === "until resumed" ? "paused until resumed" : `paused until ${s.pausedUntil}`) : "running", s.listeners.join(", ")]);
  process.stdout.write(formatTable(["STREAM/CONSUMER", "STATE", "LISTENERS"], rowsOut));
  if (done === "paused") process.stdout.write("New and undelivered messages stay in the stream; they are delivered after `nats-events resume` (or the --until time).\n");
}

/** The distinct consumers that listener `name` or queue group `name` reads from, with the listeners sharing each. */
function consumersOf(name: string, rows: readonly ListenerRow[], transport: string): Array<PauseTarget & { listeners: string[] }> {
  if (transport !== "jetstream") {
    throw new EventBusError(ErrorCodes.CONFIG, `pause and resume act on JetStream consumers, but the transport is "${transport}" (set NATS_TRANSPORT=jetstream or --transport jetstream)`);
  }
  const named = rows.filter((row) => row.listener === name || row.queueGroup === name);
  if (named.length === 0) {
    const known = [...new Set(rows.flatMap((row) => [row.listener, ...(row.queueGroup ? [row.queueGroup] : [])]))].join(", ");
    throw new EventBusError(ErrorCodes.UNKNOWN_LISTENER, `no listener or queue group named "${name}" in the loaded listener modules (known: ${known || "none"}); see nats-events listeners`);
  }
  const targets = new Map<string, PauseTarget & { listeners: string[] }>();
  for (const row of named) {
    if (!row.stream || !row.consumer) continue;
    const key = `${row.stream}/${row.consumer}`;
    const target = targets.get(key) ?? { stream: row.stream, name: row.consumer, listeners: [] };
    // Every listener reading from the consumer is affected, including ones not named.
    for (const other of rows) if (other.stream === row.stream && other.consumer === row.consumer && !target.listeners.includes(other.listener)) target.listeners.push(other.listener);
    targets.set(key, target);
  }
  if (targets.size === 0) {
    const why = named.map((row) => `${row.listener}: ${row.problem ?? "a core subscription (durable: false), which has no consumer to pause"}`).join("; ");
    throw new EventBusError(ErrorCodes.CONFIG, `"${name}" reads from no JetStream consumer, so there is nothing to pause or resume (${why})`);
  }
  return [...targets.values()];
}
