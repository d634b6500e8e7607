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
 * Publishes ids 0, 1, 2, ... one after another (each acknowledged before the next), yielding to
 * the event loop between them so a test can act mid-stream, until `count` were published or
 * `until()` is true. `acknowledged` grows as they are stored. `perSecond` caps the rate (a load
 * generator's pace, so a long operation under it does not build an unbounded backlog).
 */
export async function publishSteadily(
  bus: EventBus,
  subject: string,
  acknowledged: number[],
  { count = Number.POSITIVE_INFINITY, until = () => false, prefix = subject, perSecond }: { count?: number; until?: () => boolean; prefix?: string; perSecond?: number },
): Promise<void> {
  const started = performance.now();
  for (let id = 0; id < count && !until(); id++) {
    await publishStored(bus, subject, id, prefix);
    acknowledged.push(id);
    const due = perSecond === undefined ? 0 : started + ((id + 1) * 1000) / perSecond - performance.now();
    await new Promise((resolve) => (due > 0 ? setTimeout(resolve, due) : setImmediate(resolve)));
  }
}
