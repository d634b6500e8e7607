import { describeError, isEventBusError } from "../errors.js";
import type { Logger } from "../logger.js";

/** One step of a graceful stop (close the HTTP server, drain the bus, the user's teardown). */
export interface StopStep {
  /** For the log line when it fails ("drain the bus"). */
  readonly name: string;
  run(): unknown;
}

/**
 * Runs the steps in order, each one even when an earlier one failed (like BullMQ's
 * Worker.close()): a failed drain must not keep the database pool open. Every failure is
 * logged; the first one is returned (undefined when all succeeded).
 */
export async function runStopSteps(steps: readonly StopStep[], logger: Logger): Promise<unknown> {
  let failure: unknown;
  for (const step of steps) {
    try {
      await step.run();
    } catch (err) {
      failure ??= err;
      logger.error({ step: step.name, error: describeError(err), ...(isEventBusError(err) && { code: err.code }) }, `stopping: could not ${step.name}`);
    }
  }
  return failure;
}

/**
 * The last line of a stop, and the exit code that goes with it: "stopped cleanly" (0), or
 * `reason` / "stopped with an error: <first failure>" (1).
 */
export function logStopOutcome(logger: Logger, failure: unknown, reason?: string): number {
  const problem = reason ?? (failure === undefined ? undefined : `stopped with an error: ${describeError(failure)}`);
  if (problem === undefined) {
    logger.info({ code: 0 }, "stopped cleanly");
    return 0;
  }
  logger.error({ code: 1 }, problem);
  return 1;
}
