// The bus reads the server's version when it connects (the server's INFO): `bus.serverVersion`,
// the "connected" lifecycle event, on core NATS and JetStream, against the server under test.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { EventBus, type LifecycleEvent } from "express-nats-events";
import { natsServerBinary, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { connectTestBus } from "../helpers/processes.js";
import { versionOf } from "../helpers/server-versions.js";

let nats: NatsServer | undefined;
before(async () => {
  nats = await startNatsServer();
});
after(() => nats?.stop());

for (const transport of ["nats", "jetstream"] as const) {
  test(`${transport}: at connect the bus knows the server's version and reports it with "connected"`, async (t) => {
    const events: LifecycleEvent[] = [];
    const bus = await connectTestBus(nats!.url, { transport, metrics: false, observers: [{ lifecycle: (event) => events.push(event) }] });
    try {
      const expected = versionOf(natsServerBinary());
      assert.ok(expected, "the binary under test reports a version");
      assert.equal(bus.serverVersion, expected);
      const connected = events.find((event) => event.type === "connected");
      assert.equal(connected && "serverVersion" in connected ? connected.serverVersion : undefined, expected);
      t.diagnostic(`nats-server ${expected}`);
    } finally {
      await bus.close();
    }
  });
}

test("memory transport and an unconnected bus have no server version", async () => {
  assert.equal(new EventBus().serverVersion, undefined);
  const bus = new EventBus();
  await bus.connect({ transport: "memory", env: {}, metrics: false });
  try {
    assert.equal(bus.serverVersion, undefined);
  } finally {
    await bus.close();
  }
});
