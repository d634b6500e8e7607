import { randomBytes } from "node:crypto";

/**
 * A name unique to this test run, safe as one NATS subject token, a queue
 * group, a stream or a durable name: letters, digits and dashes only.
 */
export function uniqueName(prefix: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(prefix)) {
    throw new Error(`uniqueName: prefix ${JSON.stringify(prefix)} must use only letters, digits and dashes`);
  }
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}

/**
 * Waits for a promise, or until `predicate()` is true (checked on every turn
 * of the event loop and every few milliseconds), and rejects loudly with
 * `what` after `timeoutMs`. Use it instead of fixed sleeps.
 */
export function waitFor<T>(condition: Promise<T>, timeoutMs: number, what: string): Promise<T>;
export function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void>;
export function waitFor<T>(condition: Promise<T> | (() => boolean), timeoutMs: number, what: string): Promise<T | void> {
  const started = Date.now();
  return new Promise<T | void>((resolve, reject) => {
    let settled = false;
    let poll: NodeJS.Timeout | undefined;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(poll);
      action();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))),
      timeoutMs,
    );
    if (typeof condition === "function") {
      const check = () => {
        let met: boolean;
        try {
          met = condition();
        } catch (err) {
          return finish(() => reject(err));
        }
        if (met) return finish(() => resolve());
        poll = setTimeout(check, Date.now() - started < 50 ? 1 : 5);
      };
      check();
    } else {
      condition.then(
        (value) => finish(() => resolve(value)),
        (err: unknown) => finish(() => reject(err)),
      );
    }
  });
}

/**
 * Asks `probe` every `everyMs` until it returns something other than undefined (a state
 * only a server can report, such as a new leader), and fails loudly after `timeoutMs`
 * with the last error the probe threw, if any.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError === undefined ? "" : ` (last error: ${String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Collects items pushed by a handler (or any callback) and lets a test await
 * a count of them, event-driven, with a loud timeout.
 */
export class Collector<T> {
  readonly items: T[] = [];
  #waiters: Array<{ count: number; wake: () => void }> = [];

  readonly push = (item: T): void => {
    this.items.push(item);
    const ready = this.#waiters.filter((waiter) => this.items.length >= waiter.count);
    this.#waiters = this.#waiters.filter((waiter) => this.items.length < waiter.count);
    for (const waiter of ready) waiter.wake();
  };

  get length(): number {
    return this.items.length;
  }

  /** Resolves with the first `count` items once that many arrived; rejects naming `what` (and what did arrive) on timeout. */
  async waitForCount(count: number, timeoutMs: number, what: string): Promise<T[]> {
    if (this.items.length < count) {
      const arrived = new Promise<void>((wake) => this.#waiters.push({ count, wake }));
      await waitFor(arrived, timeoutMs, `${what} (wanted ${count})`).catch((err: Error) => {
        throw new Error(`${err.message}; got ${this.items.length}: ${preview(this.items)}`);
      });
    }
    return this.items.slice(0, count);
  }
}

/** Collects `count` items from whatever `subscribe` hooks `push` into. */
export async function collect<T>(
  count: number,
  timeoutMs: number,
  what: string,
  subscribe: (push: (item: T) => void) => void | Promise<void>,
): Promise<T[]> {
  const collector = new Collector<T>();
  await subscribe(collector.push);
  return collector.waitForCount(count, timeoutMs, what);
}

function preview(items: readonly unknown[]): string {
  const text = JSON.stringify(items, (_key, value: unknown) => (value instanceof Uint8Array ? `<${value.length} bytes>` : value));
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}
