import { EventBus } from "../bus/event-bus.js";
import { ErrorCodes, EventBusError } from "../errors.js";
import { createLogger } from "../logger.js";
import { DeadLetterStore, type DeadLetter } from "../transport/jetstream/dead-letter-store.js";
import { JetStreamTransport } from "../transport/jetstream/jetstream-transport.js";
import { connectOptionsFrom, type ConnectionFlags } from "./connection-flags.js";
import { createProgress } from "./progress.js";
import { formatTable } from "./table.js";

async function withDeadLetters<T>(flags: ConnectionFlags, use: (store: DeadLetterStore, bus: EventBus) => Promise<T>): Promise<T> {
  const bus = new EventBus();
  await bus.connect({ ...connectOptionsFrom(flags), logger: createLogger("warn", { destination: 2 }) });
  try {
    const transport = bus.transport;
    if (!(transport instanceof JetStreamTransport)) {
      throw new EventBusError(
        ErrorCodes.CONFIG,
        `dead letters are kept only by the jetstream transport, but the transport is "${transport.name}" (set NATS_TRANSPORT=jetstream or --transport jetstream); ` +
          `core NATS copies them to "${bus.options.deadLetterPrefix}.<subject>" without keeping them`,
      );
    }
    return await use(new DeadLetterStore(transport.manager, bus.options.deadLetterStream), bus);
  } finally {
    await bus.drain();
  }
}

export async function listDeadLetters(flags: ConnectionFlags & { limit: string; json?: boolean }): Promise<void> {
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new EventBusError(ErrorCodes.CONFIG, `--limit must be a whole number >= 1, got "${flags.limit}"`);
  const letters = await withDeadLetters(flags, (store) => store.list(limit));
  if (flags.json) {
    const decoder = new TextDecoder();
    process.stdout.write(`${JSON.stringify(letters.map(({ data, ...letter }) => ({ ...letter, payload: decoder.decode(data) })), null, 2)}\n`);
    return;
  }
  if (letters.length === 0) return void process.stdout.write("no dead letters\n");
  const rows = letters.map((l) => [String(l.seq), l.time.toISOString(), l.originalSubject, l.listener, l.reason, l.deliveryCount, l.error.slice(0, 80)]);
  process.stdout.write(formatTable(["SEQ", "TIME", "SUBJECT", "LISTENER", "REASON", "DELIVERIES", "ERROR"], rows));
}

/** Re-publishes dead letters (by sequence, or all) to their original subjects and removes them, showing progress. */
export function replayDeadLetters(sequences: string[], flags: ConnectionFlags & { all?: boolean }): Promise<void> {
  return actOnDeadLetters("replay", sequences, flags);
}

/** Removes dead letters (by sequence, or all) without replaying them, showing progress. */
export function discardDeadLetters(sequences: string[], flags: ConnectionFlags & { all?: boolean }): Promise<void> {
  return actOnDeadLetters("discard", sequences, flags);
}

/** The dashboard's buttons call the same two store operations. */
async function actOnDeadLetters(action: "replay" | "discard", sequences: string[], flags: ConnectionFlags & { all?: boolean }): Promise<void> {
  if (!flags.all && sequences.length === 0) throw new EventBusError(ErrorCodes.CONFIG, `name the dead letters to ${action} by sequence (see \`dead-letters list\`), or pass --all`);
  const wanted = sequences.map((text) => {
    const seq = Number(text);
    if (!Number.isInteger(seq) || seq < 1) throw new EventBusError(ErrorCodes.CONFIG, `"${text}" is not a dead-letter sequence number`);
    return seq;
  });
  await withDeadLetters(flags, async (store, bus) => {
    const letters: DeadLetter[] = flags.all ? await store.list(Number.MAX_SAFE_INTEGER) : [];
    for (const seq of wanted) {
      const letter = await store.get(seq);
      if (!letter) throw new EventBusError(ErrorCodes.CONFIG, `no dead letter with sequence ${seq} (already replayed or discarded?)`);
      letters.push(letter);
    }
    // "replayed <done>/<total>" every 100 (rewritten in place on a terminal) and at the end.
    const progress = createProgress(action === "replay" ? "replayed" : "discarded", letters.length, { stream: process.stdout, every: 100 });
    for (const [index, letter] of letters.entries()) {
      await (action === "replay" ? store.replay(letter, bus.transport) : store.discard(letter));
      progress.update(index + 1);
    }
    if (letters.length === 0) process.stdout.write("no dead letters\n");
  });
}
