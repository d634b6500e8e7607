import { backoffDelayMs } from "../../backoff.js";
import { describeError } from "../../errors.js";
import type { Logger } from "../../logger.js";

const RETRY = { initialDelayMs: 1_000, maxDelayMs: 15_000 };

/**
 * Streams the cluster could not answer for when the bus connected (no leader, timeout):
 * each is tried again with backoff until `attempt` succeeds (resolves undefined) or the
 * transport stops. Logged once when it starts waiting and once when the stream is there.
 */
export class BackgroundStreams {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #stopped = false;

  constructor(
    private readonly logger: Logger,
    /** Creates or checks one stream; resolves with why it is still unavailable, or undefined once it is done. */
    private readonly attempt: (stream: string) => Promise<string | undefined>,
  ) {}

  retry(stream: string, cause: string): void {
    if (this.#stopped || this.#timers.has(stream)) return;
    this.logger.warn({ stream, cause }, `stream "${stream}" is not available (${cause}); publishing to it fails and its listeners wait until it is; retrying in the background`);
    const since = Date.now();
    const schedule = (attempt: number) => {
      const timer = setTimeout(async () => {
        let still: string | undefined;
        try {
          still = await this.attempt(stream);
        } catch (err) {
          still = describeError(err);
        }
        if (this.#stopped) return;
        if (still === undefined) {
          this.#timers.delete(stream);
          this.logger.info({ stream, waitedMs: Date.now() - since }, `stream "${stream}" is available again`);
          return;
        }
        schedule(attempt + 1);
      }, backoffDelayMs(attempt, RETRY));
      timer.unref();
      this.#timers.set(stream, timer);
    };
    schedule(1);
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
