import { ErrorCodes, EventBusError } from "../errors.js";
import { deadLetterFrom, type DeadLetter } from "./jetstream/dead-letter-store.js";
import type { MemoryStreamStore } from "./memory-store.js";
import type { Transport } from "./transport.js";

export type { DeadLetter };

/** The dead letters a memory store keeps, oldest first, shaped like `nats-events dead-letters list --json` reads them from JetStream. */
export function listDeadLetters(store: MemoryStreamStore): DeadLetter[] {
  return store.deadLetterStream.all().map((message) => deadLetterFrom(message));
}

/**
 * Like `nats-events dead-letters replay <seq>`: publishes the original bytes and headers
 * (without the Eb-* diagnosis headers) to the original subject through `transport`, with
 * the msgId `replay-<stream>-<seq>`, then removes the dead letter.
 */
export async function replayDeadLetter(store: MemoryStreamStore, seq: number, transport: Transport): Promise<void> {
  const stream = store.deadLetterStream;
  const stored = stream.get(seq);
  if (!stored) throw new EventBusError(ErrorCodes.CONFIG, `no dead letter with sequence ${seq} in stream ${stream.name} (already replayed? list them with testBus.deadLetters())`);
  const letter = deadLetterFrom(stored);
  const headers = Object.fromEntries(Object.entries(letter.headers).filter(([key]) => !key.startsWith("Eb-") && key !== "Nats-Msg-Id"));
  await transport.publish(letter.originalSubject, letter.data, { headers, msgId: `replay-${stream.name}-${seq}` });
  stream.delete(seq);
}

