import { setTimeout as sleep } from "node:timers/promises";
import { backoffDelayMs } from "../backoff.js";
import { isEventBusError, ErrorCodes } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ConnectOptions, EventBus } from "./event-bus.js";

export interface ConnectRetryOptions {
  /** Stops retrying when aborted (e.g. on SIGTERM); the last error is thrown. */
  signal?: AbortSignal;
  logger?: Logger;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Connects, retrying EB_ERR_CONNECT with exponential backoff and jitter, so a
 * process started before its NATS server waits instead of crash-looping under pm2.
 * Configuration errors are not retried.
 */
export async function connectWithRetry(bus: EventBus, options: ConnectOptions, retry: ConnectRetryOptions = {}): Promise<void> {
  const { signal, initialDelayMs = 500, maxDelayMs = 15_000 } = retry;
  const logger = retry.logger ?? options.logger ?? bus.logger;
  for (let attempt = 1; ; attempt++) {
    try {
      return await bus.connect(options);
    } catch (err) {
      if (!isEventBusError(err, ErrorCodes.CONNECT) || signal?.aborted) throw err;
      const delayMs = backoffDelayMs(attempt, { initialDelayMs, maxDelayMs });
      logger.warn({ attempt, retryInMs: delayMs, code: err.code }, `${err.message}; retrying`);
      try {
        await sleep(delayMs, undefined, { signal });
      } catch {
        throw err;
      }
    }
  }
}
