import assert from "node:assert/strict";
import { access } from "node:fs/promises";
import { describe, test } from "node:test";
import { EventBus, ErrorCodes } from "../../src/index.js";
import { startNatsServer } from "../../src/testing/index.js";
import { silentLogger } from "../conformance/transport-suite.js";
import { errorWithCode } from "../helpers/assertions.js";
import { uniqueName } from "../helpers/unique.js";

describe("startNatsServer (express-nats-events/testing)", () => {
  test("a real server with JetStream on a loopback port; stop() ends it and removes its store dir", async () => {
    const server = await startNatsServer();
    assert.match(server.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
    const bus = new EventBus();
    try {
      const subject = `kit.${uniqueName("stored")}`;
      await bus.connect({ transport: "jetstream", servers: [server.url], logger: silentLogger, env: {}, metrics: false, streams: [{ name: "KIT", subjects: ["kit.>"], storage: "memory" }] });
      const receipt = await bus.publish(subject, { ok: true });
      assert.equal(receipt.stream, "KIT", "JetStream stored the message");
    } finally {
      await bus.close();
      await server.stop();
    }
    assert.equal(server.running, false);
    await assert.rejects(access(server.storeDir), "the store dir is removed");
  });

  test("a binary that is not there: EB_ERR_TEST_SERVER naming NATS_SERVER_BIN and what to do", async () => {
    const saved = process.env.NATS_SERVER_BIN;
    process.env.NATS_SERVER_BIN = "/nonexistent/nats-server";
    try {
      await assert.rejects(startNatsServer(), (err: unknown) => {
        assert.ok(errorWithCode(ErrorCodes.TEST_SERVER)(err));
        assert.match((err as Error).message, /NATS_SERVER_BIN=\/nonexistent\/nats-server is not an executable file/);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.NATS_SERVER_BIN;
      else process.env.NATS_SERVER_BIN = saved;
    }
  });
});
