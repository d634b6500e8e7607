// request() never returns a JetStream PubAck as a reply: a request to a subject a
// configured stream captures is refused before anything is sent; one that a stream the bus
// does not know of answers is rejected saying where it was stored; `nats-events request`
// says the same. Real nats-server, real CLI process.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { StorageType } from "@nats-io/jetstream";
import { ErrorCodes, type EventBus, type TransportName } from "../../src/index.js";
import { errorWithCode } from "../helpers/assertions.js";
import { ProcessGroup } from "../helpers/processes.js";
import { uniqueName } from "../helpers/unique.js";
import { useJetStreamServer } from "./jetstream-server.js";

const group = new ProcessGroup();
const server = useJetStreamServer("request-to-stream");

after(() => group.killAll());

function makeBus(transport: TransportName, streams: Array<{ name: string; subjects: string[] }> = []): Promise<EventBus> {
  return server.bus({ transport, streams });
}

/** A stream created outside the bus, capturing `<prefix>.>`. */
async function outsideStream(): Promise<{ name: string; prefix: string }> {
  const name = uniqueName("OUTSIDE").replace(/-/g, "_");
  const prefix = uniqueName("outside");
  await server.jsm.streams.add({ name, subjects: [`${prefix}.>`], storage: StorageType.Memory });
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
    assert.equal((await server.jsm.streams.info(name)).state.messages, 0);
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
    const run = await group.run(["request", `${stream.prefix}.get`, '{"id":3}', "--server", server.url, "--transport", "jetstream"], { name: "request to a stream" });
    assert.equal(run.exit?.code, 1, run.output());
    assert.match(run.stderrLines.join("\n"), new RegExp(`^nats-events: EB_ERR_REQUEST_TO_STREAM: request to "${stream.prefix}.get": stream "${stream.name}" captured it`, "m"));
    assert.doesNotMatch(run.stdoutLines.join("\n"), /"seq"/);
  });
});
