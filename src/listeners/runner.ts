import type { DependencyContainer } from "tsyringe";
import { contractRegistry, type AnyContract } from "../contracts/contract.js";
import { Wire } from "../contracts/wire.js";
import { backoffDelayMs } from "../backoff.js";
import { hasWildcard } from "../subject.js";
import { errorReplyHeaders } from "../bus/error-reply.js";
import type { RetryPolicy } from "../bus/options.js";
import { MessageEventContext, runWithEventContext } from "../context/event-context.js";
import { ErrorCodes, EventBusError, NonRetryableError, describeError } from "../errors.js";
import { HANDLED, errorCodeOf, type ListenerInfo } from "../observability/observer.js";
import type { ObserverSet } from "../observability/observer-set.js";
import type { Delivery, MessageHeaders, Subscription, SubscriptionSpec, Transport } from "../transport/transport.js";
import { buildListener } from "./build-listener.js";
import { ConcurrencyLimit } from "./concurrency-limit.js";
import { sendToDeadLetter, type FailureReason } from "./dead-letter.js";
import type { ListenerHandler, MessageContext } from "./message-context.js";
import type { ListenerClass, ListenerSpec } from "./registry.js";

export const DEFAULT_CONCURRENCY = 100;
/** How long the server waits for an exclusive listener's active process to pull before another takes over. */
export const DEFAULT_EXCLUSIVE_TIMEOUT_MS = 10_000;

export interface RunnerDependencies {
  readonly transport: Transport;
  /** The bus's payload rules: codec, Content-Type, contracts. */
  readonly wire: Wire;
  readonly container: DependencyContainer;
  /** Logs, metrics and traces: told every lifecycle event and delivery outcome. */
  readonly observers: ObserverSet;
  readonly deadLetterPrefix: string;
  /** The bus-wide retry policy; a listener's `retry` option overrides parts of it. */
  readonly retry: RetryPolicy;
}

/** The runner's own ListenerInfo: it counts the handler calls running and the messages handled. */
interface RunningListener extends ListenerInfo {
  running: number;
  handled: number;
}

/** What one listener's deliveries are handled with (built once, at start). */
interface ListenerCall {
  readonly info: RunningListener;
  readonly retry: RetryPolicy;
  readonly handler: ListenerHandler;
  readonly contracts: (subject: string) => AnyContract | undefined;
}

interface ActiveListener {
  readonly spec: ListenerSpec;
  readonly info: ListenerInfo;
  readonly subscription: Subscription;
  readonly limit: ConcurrencyLimit;
  /** Set when the server ended the subscription: the listener receives nothing any more. */
  ended?: Error;
}

/** One subscribed listener as health checks see it. */
export interface ListenerHealth {
  readonly listener: string;
  readonly subject: string;
  readonly queueGroup: string | undefined;
  /** false once the server ended the subscription (the process must be restarted). */
  readonly active: boolean;
  readonly error?: string;
  /** JetStream: its consumer holds pending messages but delivered none for longer than `consumerStallMs` (it is being pulled afresh). */
  readonly stalled?: boolean;
  /** JetStream: why it has no consumer to read from right now (its stream has no leader, a timeout); it starts once the stream is back. */
  readonly waiting?: string;
}

/** What @Listen recorded, as the transport needs it. An exclusive listener handles one message at a time. */
export function subscriptionSpecOf(spec: ListenerSpec): SubscriptionSpec {
  const { exclusive, exclusiveTimeoutMs = DEFAULT_EXCLUSIVE_TIMEOUT_MS } = spec.options;
  return {
    subject: spec.subject,
    queueGroup: spec.queueGroup,
    listenerId: spec.id,
    concurrency: exclusive ? 1 : (spec.options.concurrency ?? DEFAULT_CONCURRENCY),
    durable: spec.options.durable ?? true,
    ackWaitMs: spec.options.ackWaitMs,
    ...(exclusive && { exclusive: { timeoutMs: exclusiveTimeoutMs } }),
  };
}

/**
 * Turns recorded @Listen specs into subscriptions, and each delivery into one
 * handler call with bounded concurrency. Owns the outcome policy:
 * - handler resolves: ack (durable transports); its value is the reply to a request;
 * - handler throws: a request gets an error reply; on a transport that redelivers,
 *   the message comes back after a backoff delay until retry.maxDeliver, then (or at
 *   once for NonRetryableError) it is dead-lettered and terminated; on core
 *   transports it is dead-lettered at once;
 * - payload cannot be decoded (poison): the handler is never called; dead letter at once.
 * A message is terminated only after its dead letter was accepted; if that fails it is redelivered.
 */
export class ListenerRunner {
  #active: ActiveListener[] = [];

  constructor(private readonly deps: RunnerDependencies) {}

  /** The listeners this runner subscribed, for logs and health. */
  get listeners(): readonly ListenerSpec[] {
    return this.#active.map((active) => active.spec);
  }

  /** Each subscription and whether it still receives messages. */
  health(): ListenerHealth[] {
    return this.#active.map(({ spec, ended, subscription }) => {
      const liveness = subscription.liveness?.();
      return {
        listener: spec.id,
        subject: spec.subject,
        queueGroup: spec.queueGroup,
        active: ended === undefined,
        ...(ended && { error: describeError(ended) }),
        ...(liveness && { stalled: liveness.stalled }),
        ...(liveness?.waiting && { waiting: liveness.waiting }),
      };
    });
  }

  /**
   * Builds every listener class once (tsyringe). EventBus.listen() calls it before provisioning,
   * so a class that cannot be built fails the start before anything exists on the server.
   */
  build(specs: readonly ListenerSpec[]): ReadonlyMap<ListenerClass, object> {
    const instances = new Map<ListenerClass, object>();
    for (const spec of specs) {
      if (!instances.has(spec.target)) instances.set(spec.target, buildListener(this.deps.container, spec));
    }
    return instances;
  }

  /** Subscribes each spec's handler on the instance build() made for its class. */
  async start(specs: readonly ListenerSpec[], instances: ReadonlyMap<ListenerClass, object>): Promise<void> {
    for (const spec of specs) {
      const instance = instances.get(spec.target) as Record<string, ListenerHandler>;
      const handler = instance[spec.method]!.bind(instance);
      const subscriptionSpec = subscriptionSpecOf(spec);
      const retry = { ...this.deps.retry, ...spec.options.retry };
      const limit = new ConcurrencyLimit(subscriptionSpec.concurrency);
      const info: RunningListener = { id: spec.id, subject: spec.subject, queueGroup: spec.queueGroup, running: 0, handled: 0 };
      const call: ListenerCall = { info, retry, handler, contracts: contractsOf(spec) };
      const dispatch = (delivery: Delivery) => this.#dispatch(call, delivery);
      const subscription = await this.deps.transport.subscribe(subscriptionSpec, (delivery) => limit.run(dispatch, delivery));
      const active: ActiveListener = { spec, info, subscription, limit };
      this.#active.push(active);
      subscription.onConsumerEvent?.((event) =>
        this.deps.observers.lifecycle({ type: event.type === "stalled" ? "consumer-stalled" : "consumer-recovered", listener: info, event }),
      );
      subscription.onExclusiveRole?.((role) => this.deps.observers.lifecycle({ type: "exclusive-role", listener: info, role }));
      void subscription.closed.then((error) => {
        if (!error) return;
        active.ended = error;
        this.deps.observers.lifecycle({ type: "subscription-ended", listener: info, error });
      });
      this.deps.observers.lifecycle({ type: "subscribed", listener: info });
    }
  }

  /**
   * Stops taking messages, then waits for handlers in flight (and those already
   * received) to finish. Rejects with EB_ERR_DRAIN_TIMEOUT when they take longer than `timeoutMs`.
   */
  async stop(timeoutMs: number): Promise<void> {
    const active = this.#active;
    this.#active = [];
    await Promise.all(active.map((listener) => listener.subscription.drain()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    const outcome = await Promise.race([Promise.all(active.map((listener) => listener.limit.idle())), timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      const busy = active.filter((listener) => listener.limit.size > 0).map((listener) => `${listener.spec.id} (${listener.limit.size})`);
      throw new EventBusError(ErrorCodes.DRAIN_TIMEOUT, `handlers still running after the drain timeout of ${timeoutMs} ms: ${busy.join(", ")}`);
    }
  }

  /** One delivery, inside its event context (what publishes made by its handler carry along). */
  #dispatch(call: ListenerCall, delivery: Delivery): void | Promise<void> {
    const contract = call.contracts(delivery.subject);
    const context = new DeliveryContext(delivery, call.info.id, this.deps.wire, contract);
    return runWithEventContext(context, () => this.#handle(call, delivery, contract, context));
  }

  /*
   * One delivery, synchronously as far as it goes: a synchronous handler of a core message is
   * decoded, called, timed and reported without a single promise (each promise costs a
   * microtask and, on Node 20, the AsyncLocalStorage promise hooks: bench scenario 1). A
   * promise is returned only when something is asynchronous (the handler, a schema, the ack).
   */
  #handle(call: ListenerCall, delivery: Delivery, contract: AnyContract | undefined, context: DeliveryContext): void | Promise<void> {
    const { info: listener } = call;
    let data: unknown;
    try {
      data = this.deps.wire.decode(contract, delivery.subject, delivery, listener.id);
    } catch (err) {
      return this.#poison(listener, delivery, "undecodable", err);
    }
    if (!contract) return this.#call(call, delivery, data, context);
    let valid: unknown;
    try {
      valid = Wire.validateIncoming(contract, data, delivery.subject, `consumed by ${listener.id}; the handler was not called`);
    } catch (err) {
      return this.#poison(listener, delivery, "invalid", err);
    }
    if (!(valid instanceof Promise)) return this.#call(call, delivery, valid, context);
    return valid.then(
      (checked: unknown) => this.#call(call, delivery, checked, context),
      (err: unknown) => this.#poison(listener, delivery, "invalid", err),
    );
  }

  /** Calls the handler (inside the observers' wrappers, timed when someone wants the time), then settles the outcome. */
  #call({ info: listener, retry, handler }: ListenerCall, delivery: Delivery, data: unknown, context: DeliveryContext): void | Promise<void> {
    const { observers } = this.deps;
    if (observers.watchesHandlerStarts) observers.handlerStarted(listener, delivery);
    listener.running++;
    const started = observers.timesHandlers ? performance.now() : 0;
    let result: unknown;
    try {
      result = observers.wrapsHandlers() ? observers.handle(listener, delivery, () => handler(data, context)) : handler(data, context);
    } catch (err) {
      this.#finished(listener, delivery, started, true);
      return this.#failed(listener, retry, delivery, err, context);
    }
    if (!isThenable(result)) {
      this.#finished(listener, delivery, started, false);
      return this.#succeeded(listener, retry, delivery, context, result);
    }
    return Promise.resolve(result).then(
      (value: unknown) => {
        this.#finished(listener, delivery, started, false);
        return this.#succeeded(listener, retry, delivery, context, value);
      },
      (err: unknown) => {
        this.#finished(listener, delivery, started, true);
        return this.#failed(listener, retry, delivery, err, context);
      },
    );
  }

  #finished(listener: RunningListener, delivery: Delivery, started: number, failed: boolean): void {
    listener.running--;
    const { observers } = this.deps;
    if (observers.timesHandlers) observers.handlerFinished(listener, delivery, (performance.now() - started) / 1000, failed);
  }

  /** The handler returned: reply to a request, acknowledge a durable message, report it handled. */
  #succeeded(listener: RunningListener, retry: RetryPolicy, delivery: Delivery, context: DeliveryContext, result: unknown): void | Promise<void> {
    const { observers } = this.deps;
    if (delivery.reply !== undefined) {
      try {
        context.reply(result);
      } catch (err) {
        return this.#failed(listener, retry, delivery, err, context);
      }
    }
    const settlement = delivery.settlement;
    if (!settlement) return this.#handled(listener, delivery);
    let acked: void | Promise<void>;
    try {
      acked = settlement.ack();
    } catch (err) {
      return observers.outcome(listener, delivery, { kind: "ack-failed", error: err });
    }
    if (!acked) return this.#handled(listener, delivery);
    return acked.then(
      () => this.#handled(listener, delivery),
      // Handled, but the server did not confirm the ack: it may deliver the message again (at-least-once).
      (err: unknown) => observers.outcome(listener, delivery, { kind: "ack-failed", error: err }),
    );
  }

  #handled(listener: RunningListener, delivery: Delivery): void {
    listener.handled++;
    if (this.deps.observers.reportsHandled) this.deps.observers.outcome(listener, delivery, HANDLED);
  }

  /** A message no handler may see: it could not be decoded, or it broke its contract. */
  #poison(listener: ListenerInfo, delivery: Delivery, reason: "undecodable" | "invalid", err: unknown): Promise<void> {
    const next = delivery.reply !== undefined && !delivery.settlement ? "error-reply" : "dead-letter";
    this.deps.observers.outcome(listener, delivery, { kind: "failed", reason, error: err, code: errorCodeOf(err), next });
    return this.#reject(listener, delivery, reason, err);
  }

  async #failed(listener: ListenerInfo, retry: RetryPolicy, delivery: Delivery, error: unknown, context: DeliveryContext): Promise<void> {
    const nonRetryable = error instanceof NonRetryableError;
    const canRetry = delivery.settlement !== undefined && !nonRetryable && delivery.deliveryCount < retry.maxDeliver;
    const failure = { kind: "failed", reason: "handler-error", error, code: errorCodeOf(error) } as const;
    if (canRetry) {
      const delayMs = backoffDelayMs(delivery.deliveryCount, retry);
      this.deps.observers.outcome(listener, delivery, { ...failure, next: "retry", retryInMs: delayMs, maxDeliver: retry.maxDeliver });
      return delivery.settlement!.nak(delayMs);
    }
    const errorReply = delivery.reply !== undefined && delivery.settlement === undefined;
    this.deps.observers.outcome(listener, delivery, { ...failure, next: errorReply ? "error-reply" : "dead-letter" });
    if (delivery.reply !== undefined && !context.replied) delivery.respond(new Uint8Array(0), errorReplyHeaders(error));
    const reason: FailureReason = nonRetryable ? "non-retryable" : delivery.settlement ? "max-deliveries" : "handler-error";
    return this.#reject(listener, delivery, reason, error);
  }

  /** Dead-letters a message that will not be handled, then terminates it (durable transports). */
  async #reject(listener: ListenerInfo, delivery: Delivery, reason: FailureReason, error: unknown): Promise<void> {
    if (delivery.reply !== undefined && delivery.settlement === undefined) {
      // A core request: the requester hears about it through the error reply, nothing to keep.
      if (reason === "undecodable" || reason === "invalid") delivery.respond(new Uint8Array(0), errorReplyHeaders(error));
      return;
    }
    const copy = await sendToDeadLetter(this.deps.transport, this.deps.deadLetterPrefix, delivery, { reason, error, listener: listener.id });
    if (!copy.skipped) this.deps.observers.outcome(listener, delivery, { kind: "dead-lettered", reason, stored: copy.stored, error: copy.error });
    if (!delivery.settlement) return;
    if (copy.stored) delivery.settlement.term(`${reason}: ${describeError(error)}`.slice(0, 256));
    else delivery.settlement.nak(backoffDelayMs(delivery.deliveryCount, this.deps.retry)); // never drop what we could not keep
  }
}

/**
 * The contract of each delivery of one listener: fixed for a contract or a plain subject
 * (looked up once, at start); looked up per concrete subject for wildcard listeners.
 */
function contractsOf(spec: ListenerSpec): (subject: string) => AnyContract | undefined {
  const fixed = spec.contract ?? contractRegistry.get(spec.subject);
  if (fixed || !hasWildcard(spec.subject)) return () => fixed;
  return (subject) => (contractRegistry.size === 0 ? undefined : contractRegistry.get(subject));
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null | undefined)?.then === "function";
}

/**
 * One delivery as its handler sees it (`ctx`), and the event context its handler runs in (what
 * publishes made there copy into their headers): one object per message, not two.
 */
class DeliveryContext extends MessageEventContext implements MessageContext {
  replied = false;

  constructor(
    private readonly delivery: Delivery,
    readonly listener: string,
    private readonly wire: Wire,
    private readonly contract: AnyContract | undefined,
  ) {
    super(delivery);
  }

  get subject(): string {
    return this.delivery.subject;
  }
  get headers(): MessageHeaders {
    return this.delivery.headers;
  }
  get raw(): Uint8Array {
    return this.delivery.data;
  }
  get replyTo(): string | undefined {
    return this.delivery.reply;
  }
  get deliveryCount(): number {
    return this.delivery.deliveryCount;
  }

  reply(value: unknown, headers?: MessageHeaders): void {
    if (this.replied) return;
    if (this.delivery.reply === undefined) {
      throw new EventBusError(ErrorCodes.INVALID_LISTENER, `${this.listener}: ctx.reply() called for a message on "${this.subject}" that has no reply subject`);
    }
    const subject = this.delivery.subject;
    const checked = Wire.validateReply(this.contract?.reply, value, subject, `reply of ${this.listener}; nothing was sent`);
    this.replied = true;
    if (!(checked instanceof Promise)) return this.#send(checked, headers);
    // An asynchronous reply schema: answer when it has decided (with the error when it rejects the reply).
    checked.then(
      (valid) => this.#send(valid, headers),
      (err: unknown) => this.delivery.respond(new Uint8Array(0), errorReplyHeaders(err)),
    );
  }

  #send(value: unknown, headers: MessageHeaders | undefined): void {
    const codec = this.wire.writer(this.contract);
    const bytes = codec.encode(value, this.delivery.subject);
    this.delivery.respond(bytes, this.wire.headersFor(codec, headers));
  }
}
