// request() never returns a JetStream PubAck as a reply: a request to a subject a
// configured stream captures is refused before anything is sent; one that a stream the bus
// does not know of answers is rejected saying where it was stored; `nats-events request`
// says the same. Real nats-server, real CLI process.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { StorageType, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ErrorCodes, EventBus, type TransportName } from "../../src/index.js";
import { errorWithCode } from "../helpers/assertions.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { ProcessGroup } from "../helpers/processes.js";
import { uniqueName } from "../helpers/unique.js";
import { removeDir, silentLogger, tempCwd } from "./support.js";

const group = new ProcessGroup();
let nats: NatsServer | undefined;
let cwd: string | undefined;
let raw: NatsConnection | undefined;
let jsm: JetStreamManager;
let buses: EventBus[] = [];

before(async () => {
  nats = await startNatsServer();
  cwd = await tempCwd("request-to-stream");
  raw = await connect({ servers: nats.url, name: "request-to-stream-raw" });
  jsm = await jetstreamManager(raw);
});

afterEach(async () => {
  const open = buses;
  buses = [];
  await Promise.all(open.map((bus) => bus.close()));
});

after(async () => {
  await group.killAll();
  await raw?.close();
  await nats?.stop();
  await removeDir(cwd);
});

async function makeBus(transport: TransportName, streams: Array<{ name: string; subjects: string[] }> = []): Promise<EventBus> {
  const bus = new EventBus();
  buses.push(bus);
  await bus.connect({ transport, servers: [nats!.url], logger: silentLogger, env: {}, cwd, metrics: false, streams });
  return bus;
}

/** A stream created outside the bus, capturing `<prefix>.>`. */
async function outsideStream(): Promise<{ name: string; prefix: string }> {
  const name = uniqueName("OUTSIDE").replace(/-/g, "_");
  const prefix = uniqueName("outside");
  await jsm.streams.add({ name, subjects: [`${prefix}.>`], storage: StorageType.Memory });
  return { name, prefix };
}

describe("request() to a subject a stream captures", () => {
  test("a configured stream: refused before sending, saying why and what to do; nothing is stored", async () => {
    const name = uniqueName("ORDERS").replace(/-/g, "_");
    const prefix = uniqueName("orders");
    const bus = await makeBus("jetstream", [{ name, subjects: [`${prefix}.>`] }]);
    await assert.rejects(
      bus.request(`${prefix}.get`, { id: 1 }),
      errorWithCode(ErrorCodes.REQUEST_TO_STREAM, `stream "${name}" captures this subject`, "nothing was sent", "durable: false"),
    );
    assert.equal((await jsm.streams.info(name)).state.messages, 0);
  });

  for (const transport of ["jetstream", "nats"] as const) {
    test(`a stream the bus does not know of (transport ${transport}): its PubAck is not returned as the reply`, async () => {
      const stream = await outsideStream();
      const bus = await makeBus(transport);
      await assert.rejects(
        bus.request(`${stream.prefix}.get`, { id: 2 }),
        errorWithCode(ErrorCodes.REQUEST_TO_STREAM, `stream "${stream.name}" captured it`, "(seq 1)", "PubAck", "durable: false"),
      );
    });
  }

  test("nats-events request exits 1 with EB_ERR_REQUEST_TO_STREAM and prints no PubAck", async () => {
    const stream = await outsideStream();
    const run = await group.run(["request", `${stream.prefix}.get`, '{"id":3}', "--server", nats!.url, "--transport", "jetstream"], { name: "request to a stream" });
    assert.equal(run.exit?.code, 1, run.output());
    assert.match(run.stderrLines.join("\n"), new RegExp(`^nats-events: EB_ERR_REQUEST_TO_STREAM: request to "${stream.prefix}.get": stream "${stream.name}" captured it`, "m"));
    assert.doesNotMatch(run.stdoutLines.join("\n"), /"seq"/);
  });
});
