import type { Consumer, JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { ConsumerTarget } from "./provisioning.js";
import { jetStreamCause } from "./unavailable.js";

/**
 * The durable consumer one pump reads from, looked up lazily and looked up again after
 * forget() (a pull that failed because the consumer moved or vanished). When the server
 * says it does not exist (deleted by hand, or its stream could not be created when the
 * process started), `recreate` provisions it again from the configuration.
 */
export class ConsumerHandle {
  #consumer: Consumer | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly target: ConsumerTarget,
    private readonly recreate: () => Promise<void>,
  ) {}

  get stream(): string {
    return this.target.stream;
  }
  get name(): string {
    return this.target.name;
  }

  /** The consumer; `recreated` tells that it was missing and provisioned again. Throws what the server said otherwise. */
  async get(): Promise<{ consumer: Consumer; recreated: boolean }> {
    if (this.#consumer) return { consumer: this.#consumer, recreated: false };
    let recreated = false;
    try {
      this.#consumer = await this.js.consumers.get(this.stream, this.name);
    } catch (err) {
      if (jetStreamCause(err).kind !== "not-found") throw err;
      await this.recreate();
      recreated = true;
      this.#consumer = await this.js.consumers.get(this.stream, this.name);
    }
    return { consumer: this.#consumer, recreated };
  }

  /** The next get() asks the server again. */
  forget(): void {
    this.#consumer = undefined;
  }

  /** Messages the server holds for this consumer and has not delivered yet, and those delivered and not yet acknowledged. */
  async progress(): Promise<{ pending: number; ackPending: number }> {
    const info = await this.jsm.consumers.info(this.stream, this.name);
    return { pending: info.num_pending, ackPending: info.num_ack_pending };
  }
}
