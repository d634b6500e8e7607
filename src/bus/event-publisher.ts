import { inject, injectable } from "tsyringe";
import type { CheckedSubject, DataArgs, InferReply, ReplyOutput, SubjectArg } from "../contracts/event-map.js";
import type { PublishReceipt } from "../transport/transport.js";
import { EventBus, type PublishAllItem, type PublishOptions, type RequestOptions } from "./event-bus.js";

/**
 * What application code needs to send events: inject it by constructor
 * (`constructor(private readonly events: EventPublisher)`) into controllers and
 * services, or get it in a plain Express handler with `withPublisher(...)`.
 * Replace it in tests with `container.register(EventPublisher, { useValue: fake })`.
 */
@injectable()
export class EventPublisher {
  constructor(@inject(EventBus) private readonly bus: EventBus) {}

  /**
   * Resolves once the transport accepted the message. `subject` is a contract (see
   * defineEvent) or a subject string; the data is type-checked against the contract and
   * validated by its schema at run time. Throws (nothing sent) EB_ERR_VALIDATION for data
   * the schema rejects, EB_ERR_ENCODE for values the codec cannot encode,
   * EB_ERR_PAYLOAD_TOO_LARGE over the server's max_payload, EB_ERR_INVALID_SUBJECT for bad subjects,
   * EB_ERR_PUBLISH_OPTION for a bad delayMs/at/ttlMs (or one the transport cannot honour),
   * EB_ERR_STREAM_FEATURE when the subject's stream does not allow it, EB_ERR_SERVER_VERSION on a server too old for it.
   */
  publish<const S extends SubjectArg>(subject: S & CheckedSubject<S>, ...args: DataArgs<S, PublishOptions>): Promise<PublishReceipt>;
  // Explicit parameters, not a rest array: this sits on every publish.
  publish(subject: SubjectArg, data?: unknown, options?: PublishOptions): Promise<PublishReceipt> {
    return (this.bus.publish as (subject: SubjectArg, data?: unknown, options?: PublishOptions) => Promise<PublishReceipt>)(subject, data, options);
  }

  /** Many messages with a bound on unconfirmed publishes (see EventBus.publishAll). */
  publishAll(items: Iterable<PublishAllItem>, options?: { maxInFlight?: number }): Promise<PublishReceipt[]> {
    return this.bus.publishAll(items, options);
  }

  /**
   * Resolves with the decoded reply (typed by the contract's `reply` schema, or by `TReply`);
   * rejects with EB_ERR_REQUEST_TIMEOUT, EB_ERR_NO_RESPONDERS, EB_ERR_REMOTE (RemoteError) or EB_ERR_VALIDATION.
   */
  request<TReply = InferReply, const S extends SubjectArg = string>(
    subject: S & CheckedSubject<S>,
    ...args: DataArgs<S, RequestOptions>
  ): Promise<[TReply] extends [InferReply] ? ReplyOutput<S> : TReply> {
    return (this.bus.request as (subject: SubjectArg, ...rest: unknown[]) => Promise<never>)(subject, ...args);
  }
}
