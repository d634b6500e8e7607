import type { Transport } from "../transport/transport.js";
import { FRAMEWORK, ResponseTypes, serviceSubject, type InfoResponse, type ListenerActivity, type StatsResponse } from "./protocol.js";

/** One @Listen of a live process, with what it did so far. */
export interface LiveListener {
  readonly listener: string;
  readonly subject: string;
  readonly queueGroup: string | undefined;
  readonly durable: boolean;
  readonly stream: string | undefined;
  readonly consumer: string | undefined;
  readonly lastError: string;
  readonly activity: ListenerActivity;
}

/** A running `register-listeners` process that answered. */
export interface LiveProcess {
  readonly id: string;
  readonly service: string;
  readonly version: string;
  readonly pid: string;
  readonly host: string;
  readonly transport: string;
  readonly started: string | undefined;
  readonly listeners: readonly LiveListener[];
}

export interface DiscoverOptions {
  /** Longest wait for answers (default 2000 ms). */
  readonly maxWaitMs?: number;
  /** Stop once no answer came for this long (default 500 ms). */
  readonly stallMs?: number;
}

const NO_ACTIVITY: ListenerActivity = { handled: 0, failed: 0, deadLettered: 0, bucketMs: 0, history: [] };

/**
 * Asks every listener process of service `name` for its listeners (`$SRV.INFO.<name>`) and
 * counters (`$SRV.STATS.<name>`) and joins the answers by process id. Answers of services
 * that are not ours are ignored; a transport without scatter-gather requests (memory)
 * discovers nothing.
 */
export async function discoverProcesses(transport: Transport, name: string, options: DiscoverOptions = {}): Promise<LiveProcess[]> {
  if (!transport.requestMany) return [];
  const wait = { maxWaitMs: options.maxWaitMs ?? 2_000, stallMs: options.stallMs ?? 500 };
  const empty = new Uint8Array(0);
  const [infos, stats] = await Promise.all([
    transport.requestMany(serviceSubject("INFO", name), empty, wait),
    transport.requestMany(serviceSubject("STATS", name), empty, wait),
  ]);
  const statsById = new Map<string, StatsResponse>();
  for (const reply of stats) {
    const answer = parse<StatsResponse>(reply.data, ResponseTypes.STATS);
    if (answer) statsById.set(answer.id, answer);
  }
  const processes: LiveProcess[] = [];
  for (const reply of infos) {
    const info = parse<InfoResponse>(reply.data, ResponseTypes.INFO);
    if (!info) continue;
    const endpointStats = statsById.get(info.id)?.endpoints ?? [];
    processes.push({
      id: info.id,
      service: info.name,
      version: info.version,
      pid: info.metadata.pid,
      host: info.metadata.host,
      transport: info.metadata.transport,
      started: statsById.get(info.id)?.started,
      listeners: (info.endpoints ?? []).map((endpoint) => {
        const stat = endpointStats.find((candidate) => candidate.name === endpoint.name);
        return {
          listener: endpoint.metadata.listener,
          subject: endpoint.subject,
          queueGroup: endpoint.queue_group,
          durable: endpoint.metadata.durable === "true",
          stream: endpoint.metadata.stream,
          consumer: endpoint.metadata.consumer,
          lastError: stat?.last_error ?? "",
          activity: stat?.data ?? NO_ACTIVITY,
        };
      }),
    });
  }
  return processes.sort((a, b) => a.host.localeCompare(b.host) || Number(a.pid) - Number(b.pid));
}

/** The answer as T when it is JSON of the expected type from one of our processes; anything else is someone else's. */
function parse<T extends { type: string; metadata?: { framework?: string } }>(data: Uint8Array, type: string): T | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as T;
    return value.type === type && value.metadata?.framework === FRAMEWORK ? value : undefined;
  } catch {
    return undefined;
  }
}
