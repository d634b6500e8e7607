import { describeError, ErrorCodes, ValidationError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Delivery } from "../transport/transport.js";
import { currentEventContext } from "../context/event-context.js";
import type { BusObserver, DeliveryOutcome, LifecycleEvent, ListenerInfo } from "./observer.js";

/**
 * Logs through the bus's logger (pino by default): one structured line per lifecycle
 * event (connect, reconnect, subscribe, drain, close) and per failure (subject, listener,
 * error code, delivery count, correlation id; a handler's error with its stack); handled messages at debug level.
 * Nothing it logs carries credentials: server URLs arrive here already redacted.
 */
export class LogObserver implements BusObserver {
  /** A logger that announces its level changes (pino's "level-change"): then whether debug is on can be known ahead. */
  readonly #levelEvents: LevelEvents | undefined;

  constructor(private readonly logger: Logger) {
    this.#levelEvents = announcesLevelChanges(logger) ? logger : undefined;
  }

  /**
   * While debug lines are off, a handled message has nothing to log: the set then does not call
   * outcome() for it (one call and a level check per message: about 90–100 ns of the listener's
   * dispatch in bench/dispatch.ts). Only for loggers that announce level changes: another logger is
   * asked each time.
   */
  get countsHandled(): boolean {
    return this.#levelEvents !== undefined && !this.logger.isLevelEnabled!("debug");
  }

  onCountsHandledChange(changed: () => void): () => void {
    const events = this.#levelEvents;
    if (!events) return () => undefined;
    events.on("level-change", changed);
    return () => events.off("level-change", changed);
  }

  lifecycle(event: LifecycleEvent): void {
    const { logger } = this;
    switch (event.type) {
      case "connected":
        return logger.info({ transport: event.transport, servers: event.servers, serverVersion: event.serverVersion }, "connected");
      case "status":
        if (event.status === "reconnecting") return logger.warn({ transport: event.transport, reconnects: event.reconnects }, "connection lost, reconnecting");
        if (event.status === "connected" && event.previous === "reconnecting") return logger.info({ transport: event.transport, reconnects: event.reconnects }, "reconnected");
        return;
      case "subscribed":
        return logger.info({ subject: event.listener.subject, group: event.listener.queueGroup ?? "(none)", listener: event.listener.id }, "subscribed");
      case "subscription-ended":
        return logger.error(
          { subject: event.listener.subject, listener: event.listener.id, code: ErrorCodes.SUBSCRIBE, error: describeError(event.error) },
          "subscription ended by the server; this listener receives nothing until restarted",
        );
      case "consumer-stalled":
      case "consumer-recovered": {
        const { stream, consumer, reason, detail, downMs } = event.event;
        const fields = { listener: event.listener.id, subject: event.listener.subject, stream, consumer, reason, detail };
        if (event.type === "consumer-stalled") return logger.warn(fields, "consumer stalled; recovering");
        return logger.info({ ...fields, downMs }, "consumer recovered");
      }
      case "exclusive-role": {
        const fields = { listener: event.listener.id, subject: event.listener.subject, group: event.listener.queueGroup, pinId: event.role.pinId };
        if (event.role.role === "active") return logger.info(fields, "active in its exclusive group: this process handles the group's messages now");
        return logger.info(fields, "standing by: another process of the exclusive group is active");
      }
      case "draining":
        return logger.info({ transport: event.transport }, "draining");
      case "drained":
        return logger.info({ transport: event.transport }, "drained");
      case "closed":
        return logger.info({ transport: event.transport }, "closed");
    }
  }

  outcome(listener: ListenerInfo, delivery: Delivery, outcome: DeliveryOutcome): void {
    const { logger } = this;
    if (outcome.kind === "handled") {
      if (logger.isLevelEnabled && !logger.isLevelEnabled("debug")) return;
      return logger.debug(this.#fields(listener, delivery), "handled");
    }
    if (outcome.kind === "failed") {
      if (outcome.reason === "undecodable") {
        return logger.warn({ ...this.#fields(listener, delivery), code: outcome.code, reason: describeError(outcome.error) }, "message rejected: cannot decode");
      }
      if (outcome.reason === "invalid") {
        const issues = outcome.error instanceof ValidationError ? outcome.error.issues.map((issue) => `${issue.path}: ${issue.message}`) : undefined;
        return logger.warn({ ...this.#fields(listener, delivery), code: outcome.code, issues, reason: describeError(outcome.error) }, "message rejected: invalid payload");
      }
      // `err` goes through pino's error serializer (type, message, stack): where the handler failed.
      const fields = { ...this.#fields(listener, delivery), code: outcome.code, error: describeError(outcome.error), err: outcome.error };
      if (outcome.next === "retry") return logger.warn({ ...fields, retryInMs: outcome.retryInMs, maxDeliver: outcome.maxDeliver }, "handler failed; will retry");
      return logger.error({ ...fields, next: outcome.next }, "handler failed");
    }
    if (outcome.kind === "dead-lettered") {
      if (outcome.stored) return logger.info({ ...this.#fields(listener, delivery), reason: outcome.reason }, "dead-lettered");
      return logger.error(
        { ...this.#fields(listener, delivery), reason: outcome.reason, error: describeError(outcome.error) },
        "could not copy the message to the dead-letter subject",
      );
    }
    logger.warn({ ...this.#fields(listener, delivery), error: describeError(outcome.error) }, "handled, but the ack was not confirmed; the message may come again");
  }

  #fields(listener: ListenerInfo, delivery: Delivery) {
    return { subject: delivery.subject, listener: listener.id, deliveryCount: delivery.deliveryCount, correlationId: currentEventContext()?.correlationId };
  }
}

/** pino's logger emits "level-change" whenever its level is set. */
interface LevelEvents {
  readonly levelVal: number;
  on(event: "level-change", listener: () => void): unknown;
  off(event: "level-change", listener: () => void): unknown;
}

/** A pino logger (levelVal is pino's own; other event emitters with a level, winston's, announce nothing). */
function announcesLevelChanges(logger: Logger): logger is Logger & LevelEvents & Required<Pick<Logger, "isLevelEnabled">> {
  const candidate = logger as Partial<LevelEvents> & Logger;
  return typeof candidate.levelVal === "number" && typeof candidate.on === "function" && typeof candidate.off === "function" && typeof candidate.isLevelEnabled === "function";
}
