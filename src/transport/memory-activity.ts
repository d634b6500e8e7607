/**
 * What an in-memory durable store is doing right now: deliveries handed to a listener and
 * not finished, hand-overs scheduled. The testing kit's `settled()` waits on it.
 */
export class MemoryActivity {
  readonly #running = new Map<symbol, string>();
  #waiters: Array<() => void> = [];

  /** Marks one piece of work as running; call the returned function when it is done. */
  begin(what: string): () => void {
    const token = Symbol(what);
    this.#running.set(token, what);
    return () => {
      if (!this.#running.delete(token)) return;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    };
  }

  get busy(): boolean {
    return this.#running.size > 0;
  }

  /** What is running, for an error that says why nothing settled. */
  describe(): string[] {
    return [...this.#running.values()];
  }

  /**
   * Resolves once nothing runs, confirmed one event-loop turn later (work scheduled with
   * setImmediate meanwhile, such as a core subscriber's hand-over, counts too).
   */
  async idle(): Promise<void> {
    for (;;) {
      if (this.busy) {
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
        continue;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!this.busy) return;
    }
  }
}
