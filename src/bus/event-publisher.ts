import { inject, injectable } from "tsyringe";
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
   * Resolves once the transport accepted the message. Throws EB_ERR_ENCODE
   * (nothing sent) for values JSON cannot encode, EB_ERR_INVALID_SUBJECT for bad subjects.
   */
  publish(subject: string, data?: unknown, options?: PublishOptions): Promise<PublishReceipt> {
    return this.bus.publish(subject, data, options);
  }

  /** Many messages with a bound on unconfirmed publishes (see EventBus.publishAll). */
  publishAll(items: Iterable<PublishAllItem>, options?: { maxInFlight?: number }): Promise<PublishReceipt[]> {
    return this.bus.publishAll(items, options);
  }

  /** Resolves with the decoded reply; rejects with EB_ERR_REQUEST_TIMEOUT, EB_ERR_NO_RESPONDERS or EB_ERR_REMOTE (RemoteError). */
  request<TReply = unknown>(subject: string, data?: unknown, options?: RequestOptions): Promise<TReply> {
    return this.bus.request<TReply>(subject, data, options);
  }
}
