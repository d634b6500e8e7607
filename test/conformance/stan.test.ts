import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { defaultOptions } from "../../src/bus/options.js";
import { decodeFrame } from "../../src/transport/stan/header-frame.js";
import { StanTransport } from "../../src/transport/stan/stan-transport.js";
import { rawStan } from "../helpers/stan-raw-client.js";
import { startStreamingServer, streamingServerSkipReason } from "../helpers/stan-server.js";
import { runTransportConformance, silentLogger, type RawClient } from "./transport-suite.js";

// Runs against a real nats-streaming-server when one is available (NATS_STREAMING_SERVER_BIN
// or PATH); reported as skipped, with the reason, where there is none.
const skip = streamingServerSkipReason();

if (skip) {
  describe("transport conformance: stan (legacy NATS Streaming)", () => {
    test("the whole suite", { skip }, () => undefined);
  });
} else {
  runTransportConformance("stan (legacy NATS Streaming)", async () => {
    const server = await startStreamingServer({ clusterId: "conformance" });
    const cwd = await mkdtemp(path.join(os.tmpdir(), "nats-events-conformance-"));
    const features = new StanTransport({ ...defaultOptions, servers: [server.url] }).features;
    return {
      connectOptions: () => ({
        transport: "stan",
        servers: [server.url],
        // "frame": the suite checks that headers travel; the default ("drop") keeps payloads plain for raw STAN consumers.
        stan: { clusterId: server.clusterId, headers: "frame" },
        logger: silentLogger,
        env: {},
        cwd,
        // STAN redelivers after ackWait (whole seconds, 1 at least): two deliveries, then the dead letter.
        retry: { maxDeliver: 2, initialDelayMs: 50, maxDelayMs: 200 },
        ackWaitMs: 1_000,
      }),
      features: { ...features, statusLifecycle: ["connecting", "connected", "closed"], wildcards: false },
      // A node-nats-streaming client, as a service that has not moved yet would use it.
      async rawClient(): Promise<RawClient> {
        const raw = await rawStan(server.url, server.clusterId);
        return {
          publish: (subject, data, headers) => raw.publish(subject, data, headers),
          subscribe: (subject, onMessage) =>
            raw.watch(subject, (message) => {
              const bytes = message.getRawData();
              const { headers, payload } = decodeFrame(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
              onMessage({ subject: message.getSubject(), data: payload, headers });
            }),
          close: () => raw.close(),
        };
      },
      async teardown() {
        await server.stop();
        await rm(cwd, { recursive: true, force: true });
      },
    };
  });
}
