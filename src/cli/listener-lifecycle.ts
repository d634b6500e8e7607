import type { DependencyContainer } from "tsyringe";
import type { EventBus } from "../bus/event-bus.js";
import type { EventBusOptions } from "../bus/options.js";
import { runConfiguredSetup, type ListenerTeardown } from "../lifecycle/listener-setup.js";
import { onStopSignals } from "../lifecycle/stop-signals.js";
import { logStopOutcome, runStopSteps } from "../lifecycle/stop-steps.js";
import type { Logger } from "../logger.js";

/**
 * The start and stop of one register-listeners process around its bus:
 * setup module (before any listener class is built) → ... → first SIGTERM/SIGINT: drain, then
 * the setup's teardown (also when the drain failed), exit 0 or 1; a second signal exits 130 at once.
 */
export class ListenerLifecycle {
  /** Aborted on the first stop signal: the start stops waiting for NATS. */
  readonly stopping = new AbortController();
  #teardown: Promise<ListenerTeardown | undefined> = Promise.resolve(undefined);
  #stopped: Promise<unknown> | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly options: EventBusOptions,
  ) {}

  /** Installs the signal handlers; the first signal drains, tears down and exits. */
  handleSignals(): void {
    onStopSignals(
      (signal) => {
        this.logger.info({ signal, timeoutMs: this.options.drainTimeoutMs }, "stopping: draining subscriptions and waiting for handlers in flight");
        void this.exit();
      },
      { onForcedStop: (signal) => this.logger.warn({ signal }, "second signal: exiting without waiting for handlers") },
    );
  }

  /** Runs the `setup` module (relative to the config file, else cwd); its teardown is kept for stop(). */
  async setup(container: DependencyContainer, configFile: string | undefined): Promise<void> {
    this.#teardown = runConfiguredSetup(configFile, { container, bus: this.bus, logger: this.logger, options: this.options });
    await this.#teardown;
  }

  /**
   * Drains the bus, then runs the teardown, each even when the other failed; once.
   * Resolves with the first failure (undefined when both succeeded).
   */
  stop(): Promise<unknown> {
    this.stopping.abort();
    this.#stopped ??= runStopSteps(
      [
        { name: "drain the bus", run: () => this.bus.drain() },
        // A setup that failed has nothing to tear down (its error already failed the start).
        { name: "run the setup module's teardown", run: async () => (await this.#teardown.catch(() => undefined))?.() },
      ],
      this.logger,
    );
    return this.#stopped;
  }

  /** Stops, then exits: 0 when the stop went well, 1 with `failedBecause` or the stop's first failure. */
  async exit(failedBecause?: string): Promise<never> {
    const failure = await this.stop();
    process.exit(logStopOutcome(this.logger, failure, failedBecause));
  }
}
