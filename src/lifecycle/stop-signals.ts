/** The exit code of a process stopped by a second signal (128 + SIGINT, what shells report for Ctrl+C). */
export const FORCED_EXIT_CODE = 130;

export interface StopSignalOptions {
  /**
   * Called on a second signal, just before the exit: log what it cuts short (handlers or
   * requests in flight, the bus drain), so a forced stop is never silent.
   */
  onForcedStop: (signal: NodeJS.Signals, code: number) => void;
  /** Default: SIGTERM (Kubernetes, systemd, `kill`) and SIGINT (pm2 stop/reload, Ctrl+C). */
  signals?: readonly NodeJS.Signals[];
  /** Default: process.exit. */
  exit?: (code: number) => void;
}

const DEFAULT_STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT"];

/**
 * The process-manager contract both of our long-lived processes follow: the first stop signal
 * starts a graceful stop (`stop`, called once); a second one means "now": it reports what it
 * abandons and exits with 130 without waiting.
 */
export function onStopSignals(stop: (signal: NodeJS.Signals) => void, options: StopSignalOptions): void {
  const { onForcedStop, signals = DEFAULT_STOP_SIGNALS, exit = (code: number) => process.exit(code) } = options;
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++received === 1) return stop(signal);
    onForcedStop(signal, FORCED_EXIT_CODE);
    exit(FORCED_EXIT_CODE);
  };
  for (const signal of signals) process.on(signal, onSignal);
}
