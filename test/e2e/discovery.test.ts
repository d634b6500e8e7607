// Discovery over the NATS service protocol: a real register-listeners process answers
// $SRV.PING / $SRV.INFO / $SRV.STATS (all services, by name, by name and id) with the
// io.nats.micro.v1 responses `nats micro ls|info|stats` read, its listeners as endpoints
// and their counters; after SIGTERM it answers no more.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { EventBus } from "express-nats-events";
import { discoverProcesses } from "../../src/discovery/discover.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { ProcessGroup, connectTestBus, fixture, type TestProcess } from "../helpers/processes.js";
import { uniqueName } from "../helpers/unique.js";

const group = new ProcessGroup();
let nats: NatsServer | undefined;
let bus: EventBus | undefined;
let listener: TestProcess;
const service = uniqueName("discovery");
const subject = `e2e.discovery.${uniqueName("orders")}`;
const queueGroup = uniqueName("group-a");

before(async () => {
  nats = await startNatsServer({ jetstream: false });
  listener = await group.listeners([fixture("queue-a.listener.js")], {
    name: "listener",
    env: { NATS_URL: nats.url, NATS_NAME: service, E2E_QUEUE_SUBJECT: subject, E2E_GROUP_A: queueGroup },
  });
  bus = await connectTestBus(nats.url);
});

after(async () => {
  await bus?.close();
  await group.killAll();
  await nats?.stop();
});

async function ask(subject: string): Promise<Array<Record<string, unknown>>> {
  const replies = await bus!.transport.requestMany!(subject, new Uint8Array(0), { maxWaitMs: 2_000, stallMs: 300 });
  return replies.map((reply) => JSON.parse(new TextDecoder().decode(reply.data)) as Record<string, unknown>);
}

test("a listener process answers the service protocol with its listeners as endpoints and their counters", async (t) => {
  for (let id = 0; id < 3; id++) await bus!.publish(subject, { id });
  await listener.waitForEvents("handled", 3, 10_000);

  const [ping, ...otherPings] = (await ask("$SRV.PING")).filter((answer) => answer.name === service);
  assert.equal(otherPings.length, 0);
  assert.equal(ping!.type, "io.nats.micro.v1.ping_response");
  assert.match(String(ping!.version), /^\d+\.\d+\.\d+/);
  assert.match(String(ping!.id), /^[A-Za-z0-9]+$/);
  assert.deepEqual({ ...(ping!.metadata as object), host: undefined }, { framework: "express-nats-events", pid: String(listener.pid), host: undefined, transport: "nats" });

  const [info] = await ask(`$SRV.INFO.${service}`);
  assert.equal(info!.type, "io.nats.micro.v1.info_response");
  assert.equal(info!.id, ping!.id);
  assert.equal(typeof info!.description, "string");
  assert.deepEqual(info!.endpoints, [{ name: "QueueMemberA-handle", subject, queue_group: queueGroup, metadata: { listener: "QueueMemberA.handle", durable: "false" } }]);

  const stats = await ask(`$SRV.STATS.${service}.${String(ping!.id)}`);
  assert.equal(stats.length, 1);
  assert.equal(stats[0]!.type, "io.nats.micro.v1.stats_response");
  assert.ok(!Number.isNaN(Date.parse(String(stats[0]!.started))));
  const [endpoint] = stats[0]!.endpoints as Array<Record<string, unknown> & { data: { handled: number; history: number[][] } }>;
  assert.deepEqual(
    { ...endpoint, data: undefined },
    { name: "QueueMemberA-handle", subject, queue_group: queueGroup, num_requests: 3, num_errors: 0, last_error: "", processing_time: 0, average_processing_time: 0, data: undefined },
  );
  assert.equal(endpoint!.data.handled, 3);
  assert.equal(endpoint!.data.history.reduce((sum, bucket) => sum + bucket[1]!, 0), 3, "the history holds the 3 handled messages");

  assert.deepEqual(await ask("$SRV.PING.some-other-service"), [], "a request for another service gets no answer");
  const started = performance.now();
  const [discovered, ...more] = await discoverProcesses(bus!.transport, service);
  t.diagnostic(`discoverProcesses() with one live process took ${(performance.now() - started).toFixed(0)} ms (it waits 500 ms after the last answer)`);
  assert.equal(more.length, 0);
  assert.equal(discovered!.pid, String(listener.pid));
  assert.deepEqual(
    discovered!.listeners.map(({ activity, ...rest }) => ({ ...rest, handled: activity.handled })),
    [{ listener: "QueueMemberA.handle", subject, queueGroup, durable: false, stream: undefined, consumer: undefined, lastError: "", handled: 3 }],
  );
});

test("after SIGTERM the drained process answers no more", async (t) => {
  listener.child.kill("SIGTERM");
  await listener.waitForExit(15_000, "the listener process to drain and exit");
  const started = performance.now();
  assert.deepEqual(await discoverProcesses(bus!.transport, service), []);
  t.diagnostic(`discoverProcesses() with no live process took ${(performance.now() - started).toFixed(0)} ms`);
});
