import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { defaultOptions } from "../../src/bus/options.js";
import { JetStreamTransport } from "../../src/transport/jetstream/jetstream-transport.js";
import { startNatsServer } from "../helpers/nats-server.js";
import { uniqueName } from "../helpers/unique.js";
import { natsRawClient, runTransportConformance, silentLogger } from "./transport-suite.js";

// Events go to subjects the test stream captures; requests to subjects no stream
// captures (request-reply responders are plain subscriptions, `durable: false`).
const EVENT_PREFIX = "conf";
const REQUEST_PREFIX = "conf-rpc";

runTransportConformance("jetstream", async () => {
  const server = await startNatsServer();
  const cwd = await mkdtemp(path.join(os.tmpdir(), "nats-events-conformance-"));
  const features = new JetStreamTransport({ ...defaultOptions, servers: [server.url] }).features;
  return {
    connectOptions: () => ({
      transport: "jetstream",
      servers: [server.url],
      logger: silentLogger,
      env: {},
      cwd,
      streams: [{ name: "CONFORMANCE", subjects: [`${EVENT_PREFIX}.>`], storage: "memory" }],
      // Fast retries so the dead-letter test finishes in well under a second.
      retry: { maxDeliver: 2, initialDelayMs: 50, maxDelayMs: 200 },
    }),
    eventSubject: (prefix) => `${EVENT_PREFIX}.${uniqueName(prefix)}`,
    requestSubject: (prefix) => `${REQUEST_PREFIX}.${uniqueName(prefix)}`,
    features: { ...features, statusLifecycle: ["connecting", "connected", "closed"] },
    // A core publish into a stream's subject is stored too: what a non-JetStream producer would do.
    rawClient: () => natsRawClient(server.url),
    async teardown() {
      await server.stop();
      await rm(cwd, { recursive: true, force: true });
    },
  };
});
