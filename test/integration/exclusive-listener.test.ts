// Exclusive listeners against a server that has priority groups (nats-server >= 2.11):
// - provisioning creates the consumer with the pinned-client policy; a group's existing plain
//   consumer is updated to it in place (the server allows that); the other way round the server
//   cannot go, so provisioning refuses with EB_ERR_PROVISION saying what to do;
// - the runner's outcome policy through the exclusive pulls: a failing message is retried (with its
//   delivery count) before the next one is delivered, and after maxDeliver it is dead-lettered
//   and the next one follows: the order holds.
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { injectable } from "tsyringe";
import { ErrorCodes, Listen, type ListenOptions, type MessageContext, type StreamOptions } from "express-nats-events";
import { errorWithCode } from "../helpers/assertions.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { connectTestBus } from "../helpers/processes.js";
import { serverWith } from "../helpers/server-versions.js";
import { Collector, uniqueName } from "../helpers/unique.js";
import { silentLogger } from "./support.js";

let nats: NatsServer | undefined;
after(() => nats?.stop());

/** A listener class of its own on `subject` in group "ledger", with `options`. */
function listenerClass(subject: string, options: ListenOptions) {
  class LedgerPosting {
    @Listen(subject, "ledger", options)
    post(): void {}
  }
  return LedgerPosting;
}

test("an exclusive listener's consumer gets the pinned-client priority group; a plain one is updated to it; exclusive → plain is refused with what to do", async (t) => {
  const server = serverWith("exclusive listeners");
  if (typeof server === "string") return t.skip(server);
  t.diagnostic(`nats-server ${server.version} (${server.binary})`);
  nats = await startNatsServer({ binary: server.binary });
  const prefix = uniqueName("excl-prov");
  const streams: StreamOptions[] = [{ name: uniqueName("EXCLPROV").replaceAll("-", "_"), subjects: [`${prefix}.>`], storage: "memory" }];
  const bus = await connectTestBus(nats.url, { transport: "jetstream", streams, metrics: false });
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const configOf = async (name: string) => (await jsm.consumers.info(streams[0]!.name, name)).config;

    const fresh = `${prefix}.fresh`;
    const [created] = (await bus.provision([listenerClass(fresh, { exclusive: true, exclusiveTimeoutMs: 7_000 })])).filter((c) => c.kind === "consumer");
    assert.equal(created?.action, "create");
    const config = await configOf(created!.name.split("/")[1]!);
    assert.deepEqual(
      [config.priority_policy, config.priority_groups, config.priority_timeout, config.max_ack_pending],
      ["pinned_client", ["exclusive"], 7_000 * 1_000_000, 1],
      "pinned client, one group, the timeout in nanoseconds, one message unacknowledged at a time",
    );

    const plainFirst = `${prefix}.plain-first`;
    const [plain] = (await bus.provision([listenerClass(plainFirst, {})])).filter((c) => c.kind === "consumer");
    const [updated] = (await bus.provision([listenerClass(plainFirst, { exclusive: true })])).filter((c) => c.kind === "consumer");
    assert.equal(updated?.action, "update");
    assert.match(updated!.detail, /priority_policy: undefined -> "pinned_client"/);
    assert.equal((await configOf(plain!.name.split("/")[1]!)).priority_policy, "pinned_client");

    await assert.rejects(
      bus.provision([listenerClass(fresh, {})]),
      errorWithCode(ErrorCodes.PROVISION, created!.name, "is exclusive on the server", "Put exclusive: true back", "nats consumer rm"),
    );
  } finally {
    await nc.close();
    await bus.close();
  }
});

test("retries keep the order: a failing message is redelivered (counted) before the next one; after maxDeliver it is dead-lettered and the next follows", async (t) => {
  const server = serverWith("exclusive listeners");
  if (typeof server === "string") return t.skip(server);
  nats ??= await startNatsServer({ binary: server.binary });
  const prefix = uniqueName("excl-order");
  const subject = `${prefix}.postings`;
  const streams: StreamOptions[] = [{ name: uniqueName("EXCLORDER").replaceAll("-", "_"), subjects: [`${prefix}.>`], storage: "memory" }];
  const calls = new Collector<string>();
  @injectable()
  class Postings {
    @Listen(subject, "postings", { exclusive: true, retry: { maxDeliver: 3, initialDelayMs: 50, maxDelayMs: 100 } })
    post(data: { id: number }, ctx: MessageContext): void {
      calls.push(`${data.id}/${ctx.deliveryCount}`);
      if ((data.id === 2 && ctx.deliveryCount < 3) || data.id === 4) throw new Error(`posting ${data.id} failed`);
    }
  }
  // Silent: the failures are the point here.
  const bus = await connectTestBus(nats.url, { transport: "jetstream", streams, metrics: false, logger: silentLogger });
  try {
    for (let id = 0; id < 7; id++) await bus.publish(subject, { id });
    await bus.listen([Postings]);
    await calls.waitForCount(11, 20_000, "every delivery");
    assert.deepEqual(calls.items, ["0/1", "1/1", "2/1", "2/2", "2/3", "3/1", "4/1", "4/2", "4/3", "5/1", "6/1"]);
  } finally {
    await bus.close();
  }
});
