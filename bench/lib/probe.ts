import { cpuMicros, serve } from "./rpc.js";

/**
 * The listener-side counter. The raw listener and the library's @Listen handlers
 * call the same `hit()` once per handled message, so the bench adds the same cost
 * to both. It notes the monotonic time and process.cpuUsage() at the first measured
 * message and when the count reaches the target, and reports them over IPC.
 *
 * A fresh process can be told its target and a number of warm-up messages before it
 * starts (BENCH_TARGET, BENCH_WARMUP), so a consumer that starts on a backlog is
 * measured from its first message after JIT warm-up, with no IPC race.
 */
let count = 0;
/** Messages handled before the measurement starts. */
let skip = Number(process.env.BENCH_WARMUP ?? 0) || 0;
let target = Number(process.env.BENCH_TARGET ?? Infinity) || Infinity;
let firstNs = 0n;
let cpuAtFirst: NodeJS.CpuUsage | undefined;
let doneNs = 0n;
let cpuAtDone: NodeJS.CpuUsage | undefined;
let onDone: (() => void) | undefined;

export function hit(): void {
  if (++count === skip + 1) {
    firstNs = process.hrtime.bigint();
    cpuAtFirst = process.cpuUsage();
  }
  if (count === target) {
    doneNs = process.hrtime.bigint();
    cpuAtDone = process.cpuUsage(cpuAtFirst);
    onDone?.();
  }
}

export interface ProbeReport {
  /** Messages handled since the last reset (or the start). */
  count: number;
  /** Of which measured: all but the warm-up ones. */
  measured: number;
  /** Monotonic clock (process.hrtime.bigint, system-wide on Linux) at the first measured and the last message, as strings. */
  firstNs: string;
  lastNs: string;
  /** CPU (user + system) of this process from the first measured to the last message, µs. */
  cpuUs: number;
  /** false when the wait ended on the idle timeout before the target was reached. */
  complete: boolean;
}

/** Messages handled so far in this process (bench/workers/dispatch-feed.ts counts both of its sides with it). */
export function messagesSeen(): number {
  return count;
}

function report(complete: boolean, quietMs = 0): ProbeReport {
  const cpu = cpuAtDone ?? (cpuAtFirst ? process.cpuUsage(cpuAtFirst) : { user: 0, system: 0 });
  // On an idle timeout the last message came about `quietMs` ago.
  const last = doneNs || process.hrtime.bigint() - BigInt(Math.round(quietMs * 1e6));
  return { count, measured: Math.max(0, count - skip), firstNs: String(firstNs), lastNs: String(last), cpuUs: cpuMicros(cpu), complete };
}

serve({
  /** Starts a new measurement (long-lived listeners between rounds), done at `target` messages. */
  reset: ({ target: next }) => {
    count = skip = 0;
    target = next === undefined ? Infinity : Number(next);
    firstNs = doneNs = 0n;
    cpuAtFirst = cpuAtDone = undefined;
    return true;
  },
  count: () => count,
  /** Resolves when `n` messages were handled, or after `idleMs` without a new one. */
  wait: ({ n, idleMs = 5_000 }) =>
    new Promise<ProbeReport>((resolve) => {
      target = Number(n);
      if (count >= target) {
        if (!doneNs) {
          doneNs = process.hrtime.bigint();
          cpuAtDone = process.cpuUsage(cpuAtFirst);
        }
        return resolve(report(true));
      }
      let seen = count;
      let quietSince = performance.now();
      const timer = setInterval(() => {
        if (count !== seen) {
          seen = count;
          quietSince = performance.now();
        } else if (performance.now() - quietSince > Number(idleMs)) {
          finish(false);
        }
      }, 50);
      const finish = (complete: boolean) => {
        clearInterval(timer);
        onDone = undefined;
        resolve(report(complete, complete ? 0 : performance.now() - quietSince));
      };
      onDone = () => finish(true);
    }),
});
