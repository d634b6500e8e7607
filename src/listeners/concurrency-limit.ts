/**
 * Runs at most `limit` tasks at once and queues the rest in arrival order.
 * `idle()` resolves when nothing runs and nothing waits (used by drain).
 * Tasks never reject (they handle their own errors); the limit only counts them.
 * Under the limit a task costs one `.then`: this sits on the dispatch hot path.
 */
export class ConcurrencyLimit {
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  #idleWaiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.#running + this.#waiting.length;
  }

  /** Resolves when the task has finished. */
  run(task: () => Promise<void>): Promise<void> {
    if (this.#running < this.limit) return this.#start(task);
    return new Promise<void>((resolve) => this.#waiting.push(() => void this.#start(task).then(resolve)));
  }

  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #start(task: () => Promise<void>): Promise<void> {
    this.#running++;
    const done = task();
    void done.then(this.#finished);
    return done;
  }

  readonly #finished = (): void => {
    this.#running--;
    const next = this.#waiting.shift();
    if (next) next();
    else if (this.#running === 0) this.#wakeIdle();
  };

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
