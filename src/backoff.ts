/**
 * Delay before attempt `attempt + 1` after `attempt` failed ones: exponential from
 * initialDelayMs, capped at maxDelayMs, with "equal jitter" (half fixed, half
 * random) so many failures at once do not all come back at the same moment.
 * Used for handler retries and for connection retries.
 */
export function backoffDelayMs(attempt: number, policy: { initialDelayMs: number; maxDelayMs: number }, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
