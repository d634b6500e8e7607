/**
 * Runs at most `limit` tasks at once and queues the rest in arrival order.
 * `idle()` resolves when nothing runs and nothing waits (used by drain).
 * Tasks never reject (they handle their own errors); the limit only counts them.
 * This sits on the dispatch hot path: a task that finishes synchronously (returns
 * nothing) costs no promise at all, one that returns a promise costs one `.then`.
 */
export class ConcurrencyLimit {
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  #idleWaiters: Array<() => void> = [];
  #starting = false;

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.#running + this.#waiting.length;
  }

  /**
   * Runs `task(arg)` now or once there is room; returns a promise only when the task is not
   * finished on return. (The argument, not a closure over it: no allocation per message.)
   */
  run<T>(task: (arg: T) => void | Promise<void>, arg: T): void | Promise<void> {
    if (this.#running < this.limit) return this.#start(task, arg);
    return new Promise<void>((resolve) =>
      this.#waiting.push(() => {
        const pending = this.#start(task, arg);
        if (pending) void pending.then(resolve);
        else resolve();
      }),
    );
  }

  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #start<T>(task: (arg: T) => void | Promise<void>, arg: T): void | Promise<void> {
    this.#running++;
    let pending: void | Promise<void>;
    try {
      pending = task(arg);
    } catch (error) {
      this.#finished();
      throw error;
    }
    if (!pending) return this.#finished();
    void pending.then(this.#finished);
    return pending;
  }

  readonly #finished = (): void => {
    this.#running--;
    if (this.#waiting.length > 0) {
      if (!this.#starting) this.#startWaiting();
    } else if (this.#running === 0 && this.#idleWaiters.length > 0) {
      this.#wakeIdle();
    }
  };

  /** A loop, not recursion: waiting tasks that finish synchronously would otherwise nest one call per task. */
  #startWaiting(): void {
    this.#starting = true;
    try {
      while (this.#running < this.limit && this.#waiting.length > 0) this.#waiting.shift()!();
    } finally {
      this.#starting = false;
    }
    if (this.size === 0 && this.#idleWaiters.length > 0) this.#wakeIdle();
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
