import type { RetryPolicy } from "../bus/options.js";
import type { AnyContract } from "../contracts/contract.js";

/** A class whose instances tsyringe builds. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ListenerClass = new (...args: any[]) => object;

export interface ListenOptions {
  /** Most handler calls of this listener running at once in one process (default 100). */
  concurrency?: number;
  /**
   * JetStream only. Default true: a durable consumer. false: a plain core-NATS
   * subscription, for request-reply responders (JetStream does not carry reply subjects).
   */
  durable?: boolean;
  /** JetStream only: overrides the bus's `retry` option for this listener. */
  retry?: Partial<RetryPolicy>;
  /** JetStream only: overrides the bus's `ackWaitMs` for this listener's consumer. */
  ackWaitMs?: number;
  /**
   * JetStream only, needs a queue group and nats-server 2.11+: one process of the group handles
   * the messages at a time, one after the other in stream order (concurrency 1); the others
   * stand by and one of them takes over when it stops pulling (see `exclusiveTimeoutMs`) or drains.
   */
  exclusive?: boolean;
  /**
   * With `exclusive`: how long the server waits for the active process's next pull before it
   * picks another process (the takeover time after a crash). Default 10000, at least 5000.
   */
  exclusiveTimeoutMs?: number;
}

/** What one @Listen recorded. Nothing subscribes until a runner is given these. */
export interface ListenerSpec {
  readonly target: ListenerClass;
  readonly method: string;
  readonly subject: string;
  /** The contract given to @Listen (a subject string's contract is looked up when the listener starts). */
  readonly contract?: AnyContract;
  readonly queueGroup: string | undefined;
  readonly options: Readonly<ListenOptions>;
  /** "Class.method": how logs, errors and durable names refer to this listener. */
  readonly id: string;
}

const specsByClass = new Map<ListenerClass, ListenerSpec[]>();

/** The registry @Listen records into, in declaration order. */
export const listenerRegistry = {
  add(spec: ListenerSpec): void {
    const specs = specsByClass.get(spec.target) ?? [];
    specs.push(spec);
    specsByClass.set(spec.target, specs);
  },
  /** Every recorded listener, optionally only those of the given classes. */
  all(classes?: readonly ListenerClass[]): ListenerSpec[] {
    if (!classes) return [...specsByClass.values()].flat();
    return classes.flatMap((target) => specsByClass.get(target) ?? []);
  },
  of(target: ListenerClass): readonly ListenerSpec[] {
    return specsByClass.get(target) ?? [];
  },
};
