import type { DependencyContainer } from "tsyringe";
import type { Codec } from "../codec/codec.js";
import { ErrorCodes, EventBusError, describeError } from "../errors.js";
import type { Logger } from "../logger.js";
import { errorReplyHeaders } from "../bus/error-reply.js";
import type { Delivery, MessageHeaders, Subscription, Transport } from "../transport/transport.js";
import { ConcurrencyLimit } from "./concurrency-limit.js";
import { sendToDeadLetter, type FailureReason } from "./dead-letter.js";
import type { ListenerHandler, MessageContext } from "./message-context.js";
import type { ListenerClass, ListenerSpec } from "./registry.js";

export const DEFAULT_CONCURRENCY = 100;

export interface RunnerDependencies {
  readonly transport: Transport;
  readonly codec: Codec;
  readonly container: DependencyContainer;
  readonly logger: Logger;
  readonly deadLetterPrefix: string;
}

interface ActiveListener {
  readonly spec: ListenerSpec;
  readonly subscription: Subscription;
  readonly limit: ConcurrencyLimit;
}

/**
 * Turns recorded @Listen specs into subscriptions, and each delivery into one
 * handler call with bounded concurrency. Owns the outcome policy:
 * - handler resolves: its value is the reply when the message was a request;
 * - handler throws: logged; a request gets an error reply, other messages are
 *   copied to the dead-letter subject (core transports cannot redeliver);
 * - payload cannot be decoded: the handler is never called; same as a failure.
 */
export class ListenerRunner {
  #active: ActiveListener[] = [];

  constructor(private readonly deps: RunnerDependencies) {}

  /** The listeners this runner subscribed, for logs and health. */
  get listeners(): readonly ListenerSpec[] {
    return this.#active.map((active) => active.spec);
  }

  /** Builds every listener class first (so a missing dependency fails before anything subscribes), then subscribes. */
  async start(specs: readonly ListenerSpec[]): Promise<void> {
    const instances = new Map<ListenerClass, object>();
    for (const spec of specs) {
      if (!instances.has(spec.target)) instances.set(spec.target, this.#build(spec));
    }
    for (const spec of specs) {
      const instance = instances.get(spec.target) as Record<string, ListenerHandler>;
      const handler = instance[spec.method]!.bind(instance);
      const limit = new ConcurrencyLimit(spec.options.concurrency ?? DEFAULT_CONCURRENCY);
      const subscription = await this.deps.transport.subscribe(
        { subject: spec.subject, queueGroup: spec.queueGroup, listenerId: spec.id },
        (delivery) => limit.run(() => this.#handle(spec, handler, delivery)),
      );
      this.#active.push({ spec, subscription, limit });
      void subscription.closed.then((error) => {
        if (error) this.deps.logger.error({ subject: spec.subject, listener: spec.id, code: ErrorCodes.SUBSCRIBE, error: describeError(error) }, "subscription ended by the server; this listener receives nothing until restarted");
      });
      this.deps.logger.info({ subject: spec.subject, group: spec.queueGroup ?? "(none)", listener: spec.id }, "subscribed");
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

  #build(spec: ListenerSpec): object {
    try {
      return this.deps.container.resolve(spec.target);
    } catch (err) {
      throw new EventBusError(
        ErrorCodes.LISTENER_RESOLVE,
        `cannot build listener class ${spec.target.name} (for ${spec.id}): ${describeError(err)}. ` +
          `Is the class decorated with @injectable() and is every constructor dependency registered?`,
        { cause: err },
      );
    }
  }

  async #handle(spec: ListenerSpec, handler: ListenerHandler, delivery: Delivery): Promise<void> {
    let data: unknown;
    try {
      data = this.deps.codec.decode(delivery.data, delivery.subject);
    } catch (err) {
      this.deps.logger.warn({ subject: delivery.subject, listener: spec.id, code: ErrorCodes.DECODE, reason: describeError(err) }, "message rejected: cannot decode");
      return this.#fail(spec, delivery, "undecodable", err);
    }
    const context = new DeliveryContext(delivery, spec.id, this.deps.codec);
    try {
      const result = await handler(data, context);
      if (delivery.reply !== undefined) context.reply(result);
      this.deps.logger.debug({ subject: delivery.subject, listener: spec.id }, "handled");
    } catch (err) {
      this.deps.logger.error(
        { subject: delivery.subject, listener: spec.id, code: (err as { code?: unknown })?.code, deliveryCount: delivery.deliveryCount, error: describeError(err) },
        "handler failed",
      );
      await this.#fail(spec, delivery, "handler-error", err, context);
    }
  }

  async #fail(spec: ListenerSpec, delivery: Delivery, reason: FailureReason, error: unknown, context?: DeliveryContext): Promise<void> {
    if (delivery.reply !== undefined) {
      if (!context?.replied) delivery.respond(new Uint8Array(0), errorReplyHeaders(error));
      return;
    }
    await sendToDeadLetter(this.deps.transport, this.deps.logger, this.deps.deadLetterPrefix, delivery, { reason, error, listener: spec.id });
  }
}

class DeliveryContext implements MessageContext {
  replied = false;

  constructor(
    private readonly delivery: Delivery,
    readonly listener: string,
    private readonly codec: Codec,
  ) {}

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
    const bytes = this.codec.encode(value, this.delivery.reply);
    this.replied = true;
    this.delivery.respond(bytes, headers);
  }
}
