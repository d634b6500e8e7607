import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { isEventBusError, type EventBus } from "../../src/index.js";

/** One awaited call: a publish() of one key, or a publishAll() of a batch of keys. */
export interface PublishCall {
  readonly api: "publish" | "publishAll";
  readonly started: number;
  readonly ended: number;
  readonly keys: readonly string[];
  /** The error code (or text) when the call rejected. */
  readonly error?: string;
}

export interface PublishLoadOptions {
  /** Callers each awaiting one publish() after the other (default 4). */
  readonly callers?: number;
  /** Also one caller of publishAll() batches of this many (default 0: none). */
  readonly batch?: number;
  readonly maxInFlight?: number;
  /** Pause of each caller between its calls, to keep the load (and the stream) small. */
  readonly paceMs?: number;
}

export interface PublishLoad {
  /** Every call that ended so far. */
  readonly calls: readonly PublishCall[];
  /** Keys whose call resolved (a rejected publishAll counts none of its batch). */
  acknowledged(): number;
  /** Stops the callers after their current call; resolves once every call ended. */
  stop(): Promise<readonly PublishCall[]>;
}

/**
 * Publishes `{ key }` payloads to `subject` from several callers at once, as an application
 * under steady traffic would, recording each call, until stop(). Keys are unique, so the
 * stream's contents show what was stored once, twice or not at all.
 */
export function startPublishLoad(bus: EventBus, subject: string, options: PublishLoadOptions = {}): PublishLoad {
  const { callers = 4, batch = 0, maxInFlight = 64, paceMs = 10 } = options;
  const calls: PublishCall[] = [];
  let acknowledged = 0;
  let stopped = false;
  const pace = () => new Promise((resolve) => setTimeout(resolve, paceMs));
  const record = async (api: PublishCall["api"], keys: string[], send: () => Promise<unknown>) => {
    const started = Date.now();
    try {
      await send();
      acknowledged += keys.length;
      calls.push({ api, started, ended: Date.now(), keys });
    } catch (err) {
      calls.push({ api, started, ended: Date.now(), keys, error: isEventBusError(err) ? `${err.code}: ${err.message}` : String(err) });
    }
  };
  const publishCaller = async (caller: number) => {
    for (let i = 0; !stopped; i++) {
      const key = `c${caller}-${i}`;
      await record("publish", [key], () => bus.publish(subject, { key }));
      await pace();
    }
  };
  const publishAllCaller = async () => {
    for (let round = 0; !stopped; round++) {
      const keys = Array.from({ length: batch }, (_, i) => `b${round}-${i}`);
      await record("publishAll", keys, () => bus.publishAll(keys.map((key) => ({ subject, data: { key } })), { maxInFlight }));
      await pace();
    }
  };
  const running = [...Array.from({ length: callers }, (_, caller) => publishCaller(caller)), ...(batch > 0 ? [publishAllCaller()] : [])];
  return {
    calls,
    acknowledged: () => acknowledged,
    async stop() {
      stopped = true;
      await Promise.all(running);
      return calls;
    },
  };
}

/** How often each key is stored in `stream` (every message read once, with an ordered consumer). */
export async function storedKeyCounts(nc: NatsConnection, stream: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const last = (await (await jetstreamManager(nc, { checkAPI: false })).streams.info(stream)).state.last_seq;
  if (last === 0) return counts;
  const messages = await (await jetstream(nc).consumers.get(stream)).consume();
  for await (const message of messages) {
    const { key } = message.json<{ key: string }>();
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (message.seq >= last) break;
  }
  return counts;
}
