import type { EventBus } from "express-nats-events";

/**
 * Publishes `{ id }` with the msgId `<prefix>-<id>` until the stream stored it, for up to
 * `timeoutMs`: during a leader election a publish may be refused for a moment, and retrying
 * with the same msgId never stores it twice. Resolves when acknowledged (the caller counts it).
 */
export async function publishStored(bus: EventBus, subject: string, id: number, prefix: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await bus.publish(subject, { id }, { msgId: `${prefix}-${id}` });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
  }
}

/**
 * Publishes ids 0..count-1 one after another (each acknowledged before the next), yielding to
 * the event loop between them so a test can act mid-stream. `acknowledged` grows as they are stored.
 */
export async function publishSteadily(bus: EventBus, subject: string, count: number, acknowledged: number[], prefix = subject): Promise<void> {
  for (let id = 0; id < count; id++) {
    await publishStored(bus, subject, id, prefix);
    acknowledged.push(id);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
