import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MemoryTransport } from "../../src/index.js";
import { memoryRawClient } from "./memory-raw-client.js";
import { runTransportConformance, silentLogger } from "./transport-suite.js";

runTransportConformance("memory", async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), "nats-events-conformance-"));
  const features = new MemoryTransport().features;
  return {
    connectOptions: () => ({ transport: "memory", logger: silentLogger, env: {}, cwd }),
    features: { ...features, statusLifecycle: ["connected", "closed"] },
    // A second MemoryTransport shares the process-wide broker, like a second NATS client.
    rawClient: () => memoryRawClient(new MemoryTransport()),
    teardown: () => rm(cwd, { recursive: true, force: true }),
  };
});
