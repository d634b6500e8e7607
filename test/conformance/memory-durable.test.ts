import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { defaultOptions } from "../../src/bus/options.js";
import { DurableMemoryTransport } from "../../src/transport/memory-durable.js";
import { MemoryStreamStore } from "../../src/transport/memory-store.js";
import type { MessageHeaders } from "../../src/index.js";
import { runTransportConformance, silentLogger, type RawClient, type RawMessage } from "./transport-suite.js";

// The memory transport with durable semantics (the testing kit's bus) must pass what jetstream
// passes: one store is one "server" shared by every bus of the suite, on the system clock.
runTransportConformance("memory (durable)", async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), "nats-events-conformance-"));
  const store = new MemoryStreamStore(defaultOptions);
  const transport = () => new DurableMemoryTransport(store);
  return {
    connectOptions: () => ({
      transport: "memory",
      transportInstance: transport(),
      logger: silentLogger,
      env: {},
      cwd,
      // The same fast policy as the jetstream run, on real time here.
      retry: { maxDeliver: 2, initialDelayMs: 50, maxDelayMs: 200 },
    }),
    features: { ...transport().features, statusLifecycle: ["connected", "closed"] },
    // Another client of the same store: its publishes are stored, its subscription is a core one.
    async rawClient(): Promise<RawClient> {
      const raw = transport();
      await raw.connect();
      return {
        publish: (subject: string, data: Uint8Array, headers?: MessageHeaders) => raw.publish(subject, data, { headers }).then(() => undefined),
        async subscribe(subject: string, onMessage: (message: RawMessage) => void) {
          await raw.subscribe({ subject, queueGroup: undefined, listenerId: "raw-client", concurrency: 1, durable: false }, async (delivery) =>
            onMessage({ subject: delivery.subject, data: delivery.data, headers: delivery.headers }),
          );
        },
        close: () => raw.close(),
      };
    },
    teardown: () => rm(cwd, { recursive: true, force: true }),
  };
});
