import { inject, injectable } from "tsyringe";
import { EventBus, type PublishOptions, type RequestOptions } from "./event-bus.js";

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
  publish(subject: string, data?: unknown, options?: PublishOptions): Promise<void> {
    return this.bus.publish(subject, data, options);
  }

  /** Resolves with the decoded reply; rejects with EB_ERR_REQUEST_TIMEOUT, EB_ERR_NO_RESPONDERS or EB_ERR_REMOTE (RemoteError). */
  request<TReply = unknown>(subject: string, data?: unknown, options?: RequestOptions): Promise<TReply> {
    return this.bus.request<TReply>(subject, data, options);
  }
}
