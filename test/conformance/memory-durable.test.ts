import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { defaultOptions } from "../../src/bus/options.js";
import { DurableMemoryTransport } from "../../src/transport/memory-durable.js";
import { MemoryStreamStore } from "../../src/transport/memory-store.js";
import { memoryRawClient } from "./memory-raw-client.js";
import { runTransportConformance, silentLogger } from "./transport-suite.js";

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
    rawClient: () => memoryRawClient(transport()),
    teardown: () => rm(cwd, { recursive: true, force: true }),
  };
});
