import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MemoryTransport, type MessageHeaders } from "../../src/index.js";
import { runTransportConformance, silentLogger, type RawClient, type RawMessage } from "./transport-suite.js";

runTransportConformance("memory", async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), "nats-events-conformance-"));
  const features = new MemoryTransport().features;
  return {
    connectOptions: () => ({ transport: "memory", logger: silentLogger, env: {}, cwd }),
    features: { ...features, statusLifecycle: ["connected", "closed"] },
    // A second MemoryTransport shares the process-wide broker, like a second NATS client.
    async rawClient(): Promise<RawClient> {
      const transport = new MemoryTransport();
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
    },
    teardown: () => rm(cwd, { recursive: true, force: true }),
  };
});
