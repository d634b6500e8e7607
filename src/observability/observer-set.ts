import { ACCEPTED, type Delivery } from "../transport/transport.js";
import type { BusObserver, DeliveryOutcome, LifecycleEvent, ListenerInfo } from "./observer.js";

type Method = keyof BusObserver;

/**
 * Several observers behind the one interface the bus and the runner call. Each method
 * is dispatched only to the observers that have it (lists built once), so the hot paths
 * pay nothing for what nobody observes; observer errors never reach the bus.
 */
export class ObserverSet {
  readonly #lifecycle: BusObserver[];
  readonly #published: BusObserver[];
  readonly #outcome: BusObserver[];
  /** The outcome observers told of each handled message too (the others read ListenerInfo.handled); see reportsHandled. */
  #outcomeHandled: BusObserver[] = [];
  readonly #unwatch: Array<() => void> = [];
  readonly #wrapPublish: Wrappers;
  readonly #wrapHandler: Wrappers;
  readonly #handlerStarted: BusObserver[];
  readonly #handlerFinished: BusObserver[];
  /** Does anything observe publishes? (When not, publish skips this set entirely.) */
  readonly observesPublish: boolean;
  /** Does anything want handler timings? (When not, the runner does not read the clock.) */
  readonly timesHandlers: boolean;
  /** Does anything want to hear when a handler starts? (When not, the runner does not call handlerStarted.) */
  readonly watchesHandlerStarts: boolean;

  constructor(readonly observers: readonly BusObserver[]) {
    const having = (method: Method) => observers.filter((observer) => typeof observer[method] === "function");
    this.#lifecycle = having("lifecycle");
    this.#published = having("published");
    this.#outcome = having("outcome");
    this.#sortHandled();
    for (const observer of this.#outcome) {
      if (observer.onCountsHandledChange) this.#unwatch.push(observer.onCountsHandledChange(() => this.#sortHandled()));
    }
    this.#wrapPublish = new Wrappers(having("wrapPublish"));
    this.#wrapHandler = new Wrappers(having("wrapHandler"));
    this.#handlerStarted = having("handlerStarted");
    this.#handlerFinished = having("handlerFinished");
    this.observesPublish = this.#published.length + this.#wrapPublish.all.length > 0;
    this.timesHandlers = this.#handlerFinished.length > 0;
    this.watchesHandlerStarts = this.#handlerStarted.length > 0;
  }

  /** Does any observer want each "handled" outcome? (When not, the runner only counts them.) Changes with the observers' countsHandled. */
  get reportsHandled(): boolean {
    return this.#outcomeHandled.length > 0;
  }

  /** Stops following the observers' changes (the bus closed, or never connected). */
  dispose(): void {
    for (const unwatch of this.#unwatch.splice(0)) unwatch();
  }

  lifecycle(event: LifecycleEvent): void {
    for (const observer of this.#lifecycle) guard(() => observer.lifecycle!(event));
  }

  // The per-message methods below catch inline: a guard() closure per observer per message showed in profiles.

  outcome(listener: ListenerInfo, delivery: Delivery, outcome: DeliveryOutcome): void {
    for (const observer of outcome.kind === "handled" ? this.#outcomeHandled : this.#outcome) {
      try {
        observer.outcome!(listener, delivery, outcome);
      } catch {
        // An observer must never break the bus; it only loses its own report.
      }
    }
  }

  handlerStarted(listener: ListenerInfo, delivery: Delivery): void {
    for (const observer of this.#handlerStarted) {
      try {
        observer.handlerStarted!(listener, delivery);
      } catch {
        // as in outcome()
      }
    }
  }

  handlerFinished(listener: ListenerInfo, delivery: Delivery, seconds: number, failed: boolean): void {
    for (const observer of this.#handlerFinished) {
      try {
        observer.handlerFinished!(listener, delivery, seconds, failed);
      } catch {
        // as in outcome()
      }
    }
  }

  /** Runs the publish inside every wrapper, then reports its outcome; resolves or rejects as the publish itself did. */
  publish<T>(subject: string, run: () => Promise<T>): Promise<T> {
    const wrappers = this.#wrapPublish.active();
    const result = wrappers.length === 0 ? run() : wrapAll(wrappers, run, (observer, inner) => observer.wrapPublish!(subject, inner));
    if (this.#published.length === 0) return result;
    // Accepted before publish() returned: report it now (no closures, no microtask per message).
    if (result === ACCEPTED) this.#reportPublished(subject, undefined);
    else {
      result.then(
        () => this.#reportPublished(subject, undefined),
        (error: unknown) => this.#reportPublished(subject, error),
      );
    }
    return result;
  }

  /**
   * Runs one handler call inside every active wrapper and returns its result: with none
   * active, `run()` itself (a value, a promise, or a throw); inside wrappers, always the
   * handler's own promise.
   */
  handle<T>(listener: ListenerInfo, delivery: Delivery, run: () => T | Promise<T>): T | Promise<T> {
    const wrappers = this.#wrapHandler.active();
    if (wrappers.length === 0) return run();
    const asPromise = async () => run();
    return wrapAll(wrappers, asPromise, (observer, inner) => observer.wrapHandler!(listener, delivery, inner));
  }

  /** Is any handler wrapper active now? When not, the runner calls handlers directly, without handle(). */
  wrapsHandlers(): boolean {
    return this.#wrapHandler.active().length > 0;
  }

  #sortHandled(): void {
    this.#outcomeHandled = this.#outcome.filter((observer) => observer.countsHandled !== true);
  }

  #reportPublished(subject: string, error: unknown): void {
    for (const observer of this.#published) {
      try {
        observer.published!(subject, error);
      } catch {
        // as in outcome()
      }
    }
  }
}

/**
 * Nests the wrappers (the first one outermost) around `run` and returns run's own
 * promise: a wrapper cannot replace the result, and if it never calls `run`, we do.
 */
function wrapAll<T>(wrappers: readonly BusObserver[], run: () => Promise<T>, apply: (observer: BusObserver, inner: () => Promise<T>) => Promise<T>): Promise<T> {
  if (wrappers.length === 0) return run();
  let result: Promise<T> | undefined;
  const once = () => (result ??= run());
  let chain: () => Promise<T> = once;
  for (let i = wrappers.length - 1; i >= 0; i--) {
    const inner = chain;
    const observer = wrappers[i]!;
    chain = () => {
      let wrapped: Promise<T> | undefined;
      guard(() => (wrapped = apply(observer, inner)));
      // A wrapper that threw or returned something odd still gets the inner chain run.
      if (wrapped && typeof wrapped.then === "function") {
        wrapped.then(undefined, () => undefined);
        return wrapped;
      }
      return inner();
    };
  }
  guard(() => void chain().then(undefined, () => undefined));
  return result ?? once();
}

/** One kind of wrapper: those always active, and those active only sometimes (see BusObserver.wrapping). */
class Wrappers {
  readonly #always: BusObserver[];
  readonly #conditional: BusObserver[];

  constructor(readonly all: BusObserver[]) {
    this.#always = all.filter((observer) => !observer.wrapping);
    this.#conditional = all.filter((observer) => observer.wrapping);
  }

  /** The wrappers to nest now: all of them while a conditional one is active, else only the unconditional ones. */
  active(): readonly BusObserver[] {
    return this.#conditional.length > 0 && this.#conditional.some(isWrapping) ? this.all : this.#always;
  }
}

function isWrapping(observer: BusObserver): boolean {
  try {
    return observer.wrapping!();
  } catch {
    return false;
  }
}

function guard(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // An observer must never break the bus; it only loses its own report.
  }
}
