import type { ConsumerState } from "../transport/transport.js";

export interface ConsumerSampler {
  stop(): void;
}

/**
 * Asks the server for the listeners' consumer states every `intervalMs` (and once at once)
 * and hands each sample to `apply` (the consumer gauges). One request at a time: a slow
 * server skips ticks instead of piling up requests. Failures (e.g. while reconnecting)
 * go to `onError` and the next tick tries again. The timer never keeps the process alive.
 */
export function startConsumerSampler(
  sample: () => Promise<ConsumerState[]>,
  apply: (states: ConsumerState[]) => void,
  intervalMs: number,
  onError: (error: unknown) => void,
): ConsumerSampler {
  let running = false;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = true;
    sample().then(
      (states) => {
        running = false;
        if (!stopped) apply(states);
      },
      (error: unknown) => {
        running = false;
        if (!stopped) onError(error);
      },
    );
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
