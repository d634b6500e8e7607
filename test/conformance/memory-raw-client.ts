import type { MessageHeaders, Transport } from "../../src/index.js";
import type { RawClient, RawMessage } from "./transport-suite.js";

/** A second in-process client (a memory transport on the same broker or store): publishes bytes, subscribes below the runner. */
export async function memoryRawClient(transport: Transport): Promise<RawClient> {
  await transport.connect();
  return {
    publish: (subject: string, data: Uint8Array, headers?: MessageHeaders) => transport.publish(subject, data, { headers }).then(() => undefined),
    async subscribe(subject: string, onMessage: (message: RawMessage) => void) {
      await transport.subscribe({ subject, queueGroup: undefined, listenerId: "raw-client", concurrency: 1, durable: false }, async (delivery) =>
        onMessage({ subject: delivery.subject, data: delivery.data, headers: delivery.headers }),
      );
    },
    close: () => transport.close(),
  };
}
