import type { BusStatus } from "./transport.js";

/** Holds a transport's status and tells listeners when it changes. */
export class StatusTracker {
  #status: BusStatus = "closed";
  readonly #listeners = new Set<(status: BusStatus) => void>();

  get status(): BusStatus {
    return this.#status;
  }

  set(status: BusStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    for (const listener of this.#listeners) listener(status);
  }

  onChange(listener: (status: BusStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
