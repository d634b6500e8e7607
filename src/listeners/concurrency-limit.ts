/**
 * Runs at most `limit` tasks at once and queues the rest in arrival order.
 * `idle()` resolves when nothing runs and nothing waits (used by drain).
 */
export class ConcurrencyLimit {
  #running = 0;
  readonly #waiting: Array<() => Promise<void>> = [];
  #idleWaiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.#running + this.#waiting.length;
  }

  /** Resolves when the task has finished (it never rejects: tasks handle their own errors). */
  run(task: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      const settled = () => task().finally(resolve);
      if (this.#running < this.limit) this.#start(settled);
      else this.#waiting.push(settled);
    });
  }

  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #start(task: () => Promise<void>): void {
    this.#running++;
    // Tasks handle their own errors; the limit only counts them.
    task().finally(() => {
      this.#running--;
      const next = this.#waiting.shift();
      if (next) this.#start(next);
      else if (this.#running === 0) this.#wakeIdle();
    });
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
