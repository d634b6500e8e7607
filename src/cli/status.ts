import { EventBus } from "../bus/event-bus.js";
import { loadOptions } from "../bus/load-options.js";
import { redactCredentials } from "../bus/options.js";
import { describeError, isEventBusError } from "../errors.js";
import { createLogger } from "../logger.js";
import type { ConnectionInfo, ConsumerState, StreamState } from "../transport/transport.js";
import { codeOptionsFrom, connectOptionsFrom, type ConnectionFlags } from "./connection-flags.js";
import { listenerRows, listenerTable, type ListenerRow } from "./listener-rows.js";
import { loadConfiguredListeners } from "./load-listener-modules.js";
import { leaderText, replicasText } from "./replication-text.js";
import { formatTable } from "./table.js";
import { formatBytes } from "../byte-size.js";

interface StatusReport {
  readonly connection: {
    readonly status: string;
    readonly transport: string;
    readonly servers: string[];
    readonly error?: string;
  } & Partial<ConnectionInfo>;
  readonly configFile: string | null;
  readonly listeners: ListenerRow[];
  readonly streams: Array<Omit<StreamState, "consumers"> & { consumers: Array<ConsumerState & { listeners: string[] }> }>;
}

/**
 * `nats-events status`: the connection, the listeners of the config, and on jetstream each
 * configured stream (messages, bytes) with every consumer the server has for it (pending,
 * ack pending, redelivered, and which listeners read from it), and for both their leader and
 * replicas (each follower current or how far behind). Exits 1 when the server
 * cannot be reached (the report says why).
 */
export async function statusCommand(modules: string[], flags: ConnectionFlags & { json?: boolean }): Promise<void> {
  const { options, configFile } = await loadOptions(codeOptionsFrom(flags), { configFile: flags.config });
  const logger = createLogger(options.logLevel === "debug" ? "debug" : "warn", { destination: 2 });
  const specs = modules.length > 0 || options.listeners.length > 0 ? await loadConfiguredListeners(modules, options, configFile, logger) : [];
  const listeners = listenerRows(specs, options);
  const servers = options.transport === "memory" ? [] : options.servers.map(redactCredentials);
  const bus = new EventBus();
  let report: StatusReport;
  let connected = false;
  try {
    // A status check changes nothing: no streams created, no metrics registered.
    await bus.connect({ ...connectOptionsFrom(flags), logger, createStreamsOnConnect: false, metrics: false });
    connected = true;
    try {
      const transport = bus.transport;
      const info = await transport.connectionInfo?.();
      const streams = (await transport.inspect?.()) ?? [];
      report = {
        connection: { status: bus.status, transport: transport.name, servers, ...info },
        configFile: configFile ?? null,
        listeners,
        streams: streams.map((stream) => ({
          ...stream,
          consumers: stream.consumers.map((consumer) => ({
            ...consumer,
            listeners: listeners.filter((row) => row.stream === stream.name && row.consumer === consumer.name).map((row) => row.listener),
          })),
        })),
      };
    } finally {
      await bus.drain();
    }
  } catch (err) {
    const error = `${isEventBusError(err) ? `${err.code}: ` : ""}${describeError(err)}`;
    // Connected, but a stream could not be read (no leader, timeout): say so, not "unreachable".
    report = { connection: { status: connected ? "connected" : "unreachable", transport: options.transport, servers, error }, configFile: configFile ?? null, listeners, streams: [] };
    process.exitCode = 1;
  }
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : readable(report));
}

function readable(report: StatusReport): string {
  const { connection } = report;
  const server = connection.server
    ? `${connection.server}${connection.version ? ` (nats-server ${connection.version}${connection.serverName ? `, name ${connection.serverName}` : ""}${connection.rttMs !== undefined ? `, rtt ${connection.rttMs.toFixed(1)} ms` : ""})` : ""}`
    : connection.servers.join(", ") || "(in process)";
  const parts = [
    "Connection\n",
    formatTable(["", ""], [
      ["status", `${connection.status} (transport ${connection.transport})`],
      ["server", server],
      ...(connection.error ? [["error", connection.error]] : []),
      ["config", report.configFile ?? "(none found)"],
    ])
      .split("\n")
      .slice(1)
      .filter(Boolean)
      .map((line) => `  ${line}\n`)
      .join(""),
    `\nListeners (${report.listeners.length})\n`,
    listenerTable(report.listeners),
  ];
  if (report.streams.length > 0) {
    parts.push(
      `\nStreams\n`,
      formatTable(
        ["STREAM", "SUBJECTS", "MESSAGES", "BYTES", "LEADER", "REPLICAS"],
        report.streams.map((s) => [s.name, s.subjects.join(", "), s.exists ? String(s.messages) : "(not created)", s.exists ? formatBytes(s.bytes) : "-", leaderText(s.replication), replicasText(s.replication)]),
      ),
    );
    const consumers = report.streams.flatMap((s) => s.consumers.map((c) => ({ ...c, stream: s.name })));
    // The PAUSED column appears only while some consumer is paused (nats-events pause).
    const paused = consumers.some((c) => c.pausedUntil);
    // The ACTIVE column (which pin the server gave an exclusive group's active process) only when there is an exclusive consumer.
    const exclusive = consumers.some((c) => c.exclusive);
    parts.push(
      `\nConsumers\n`,
      consumers.length === 0
        ? "no consumers (run nats-events provision)\n"
        : formatTable(
            ["STREAM/CONSUMER", "FILTER", "PENDING", "ACK PENDING", "REDELIVERED", ...(paused ? ["PAUSED"] : []), ...(exclusive ? ["ACTIVE"] : []), "LISTENERS", "LEADER", "REPLICAS"],
            consumers.map((c) => [
              `${c.stream}/${c.name}`,
              c.filter ?? "-",
              String(c.pending),
              String(c.ackPending),
              String(c.redelivered),
              ...(paused ? [c.pausedUntil ? (c.pausedUntil === "until resumed" ? c.pausedUntil : `until ${c.pausedUntil}`) : "-"] : []),
              ...(exclusive ? [activeText(c.exclusive)] : []),
              c.listeners.join(", ") || "(none: left over?)",
              leaderText(c.replication),
              replicasText(c.replication),
            ]),
          ),
    );
  }
  return parts.join("");
}

/** An exclusive consumer's pin: "pin <id> since <time>", or that no process holds it (the next pull takes it); "-" for the others. */
function activeText(exclusive: ConsumerState["exclusive"]): string {
  if (!exclusive) return "-";
  if (!exclusive.pinId) return "no process (the next pull takes it)";
  return `pin ${exclusive.pinId}${exclusive.since ? ` since ${exclusive.since.replace(/\.\d+Z$/, "Z")}` : ""}`;
}
