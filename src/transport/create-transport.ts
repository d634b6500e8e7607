import { ErrorCodes, EventBusError } from "../errors.js";
import type { EventBusOptions } from "../bus/options.js";
import { MemoryTransport } from "./memory.js";
import { JetStreamTransport } from "./jetstream/jetstream-transport.js";
import { NatsCoreTransport } from "./nats-core.js";
import { StanDualPublishTransport } from "./stan/dual-publish.js";
import { StanTransport } from "./stan/stan-transport.js";
import type { Transport } from "./transport.js";
import type { Logger } from "../logger.js";

const factories: Record<string, (options: EventBusOptions, logger?: Logger) => Transport> = {
  memory: () => new MemoryTransport(),
  nats: (options, logger) => new NatsCoreTransport(options, logger),
  jetstream: (options, logger) => new JetStreamTransport(options, logger),
  // Legacy NATS Streaming: node-nats-streaming is loaded only when it connects.
  stan: (options) => new StanTransport(options),
  "stan+jetstream": (options) => new StanDualPublishTransport(options),
};

/** `logger`: where a transport logs what happens in the background (JetStream: streams it waits for). */
export function createTransport(options: EventBusOptions, logger?: Logger): Transport {
  const factory = factories[options.transport];
  if (!factory) {
    throw new EventBusError(
      ErrorCodes.UNKNOWN_TRANSPORT,
      `unknown transport "${options.transport}" (option "transport" / NATS_TRANSPORT); available: ${Object.keys(factories).join(", ")}`,
    );
  }
  return factory(options, logger);
}
