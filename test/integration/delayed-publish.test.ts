// Delayed publish (delayMs / at: JetStream message schedules, nats-server 2.12) and per-message
// TTL (ttlMs, nats-server 2.11) on a real current nats-server: a listener gets a delayed message
// no earlier than its time, with the headers the library set; a delayed message survives a server
// restart before it is due; a message with a TTL leaves the stream; provisioning adds the stream
// flags to an existing stream and reports that it cannot take them away; a stream that has not
// opted in gives a StreamFeatureError. The older server's ServerVersionError is tested below too.
import "reflect-metadata";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, test } from "node:test";
import { jetstreamManager, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { injectable } from "tsyringe";
import { ErrorCodes, EventBus, Listen, runWithEventContext, ServerVersionError, StreamFeatureError, type ConnectOptions, type MessageContext, type StreamOptions } from "../../src/index.js";
import { errorWithCode } from "../helpers/assertions.js";
import { natsServerBinary, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { serverWith, serverWithout, type ServerBinary } from "../helpers/server-versions.js";
import { Collector, pollUntil, uniqueName } from "../helpers/unique.js";
import { ProcessGroup, undoAfterAll } from "../helpers/processes.js";
import { removeDir, silentLogger, tempCwd } from "./support.js";

const WAIT_MS = 15_000;
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

const group = new ProcessGroup();
const cleanup = undoAfterAll(group);
let buses: EventBus[] = [];
afterEach(async () => {
  const open = buses;
  buses = [];
  await Promise.all(open.map((bus) => bus.close()));
});

interface Server {
  readonly nats: NatsServer;
  readonly jsm: JetStreamManager;
  readonly cwd: string;
}

const servers = new Map<string, Promise<Server>>();
/** One nats-server of that binary for this file, with a raw JetStream manager to look at what it holds. */
function serverOf(binary: ServerBinary): Promise<Server> {
  let server = servers.get(binary.binary);
  if (!server) {
    server = (async () => {
      const nats = await startNatsServer({ binary: binary.binary });
      cleanup(() => nats.stop());
      const raw: NatsConnection = await connect({ servers: nats.url, name: "delayed-publish-raw" });
      cleanup(() => raw.close());
      const cwd = await tempCwd("delayed-publish");
      cleanup(() => removeDir(cwd));
      return { nats, jsm: await jetstreamManager(raw), cwd };
    })();
    servers.set(binary.binary, server);
  }
  return server;
}

async function busOn(server: Server, streams: Array<StreamOptions & { prefix?: string }>, extra: ConnectOptions = {}): Promise<EventBus> {
  const bus = new EventBus();
  buses.push(bus);
  const configured = streams.map(({ prefix: _prefix, ...stream }) => stream);
  await bus.connect({ transport: "jetstream", servers: [server.nats.url], logger: silentLogger, env: {}, cwd: server.cwd, metrics: false, streams: configured, ...extra });
  return bus;
}

/** A stream of its own for one test: `<prefix>.>` in stream `<NAME>`. */
function streamFor(flags: Pick<StreamOptions, "allowSchedules" | "allowMessageTtl" | "storage"> = {}): StreamOptions & { prefix: string } {
  const prefix = uniqueName("timed");
  return { name: uniqueName("TIMED").replaceAll("-", "_"), subjects: [`${prefix}.>`], storage: "memory", prefix, ...flags };
}

interface Received {
  readonly data: unknown;
  readonly at: number;
  readonly ctx: MessageContext;
}

function recorder(subject: string, collector: Collector<Received>) {
  @injectable()
  class DelayedRecorder {
    @Listen(subject, uniqueName("delayed"))
    handle(data: unknown, ctx: MessageContext): void {
      collector.push({ data, at: Date.now(), ctx });
    }
  }
  return DelayedRecorder;
}

/** The time the stream stored the last message on `subject` (the server's own clock, on this machine). */
async function storedAt(jsm: JetStreamManager, stream: string, subject: string): Promise<number> {
  const message = await jsm.streams.getMessage(stream, { last_by_subj: subject });
  assert.ok(message, `a message on ${subject} in ${stream}`);
  return message.time.getTime();
}

const current = serverWith("message schedules");
const skipCurrent = typeof current === "string" ? current : false;

describe("on a nats-server with message schedules and per-message TTL", { skip: skipCurrent }, () => {
  const server = () => serverOf(current as ServerBinary);

  test("delayMs: a listener gets the message no earlier than its time, with its correlation id, trace context, msgId and headers", async (t) => {
    t.diagnostic(`nats-server ${(current as ServerBinary).version}`);
    const s = await server();
    const stream = streamFor({ allowSchedules: true });
    const bus = await busOn(s, [stream]);
    const subject = `${stream.prefix}.reminder`;
    const received = new Collector<Received>();
    await bus.listen([recorder(subject, received)]);

    const publishedAt = Date.now();
    const delayMs = 1_500;
    const msgId = uniqueName("reminder");
    const receipt = await runWithEventContext({ correlationId: "corr-delayed", traceparent: TRACEPARENT }, () =>
      bus.publish(subject, { n: 1 }, { delayMs, msgId, headers: { "X-Tenant": "acme" } }),
    );
    assert.equal(receipt.duplicate, false);
    assert.equal(receipt.stream, stream.name);
    const again = await bus.publish(subject, { n: 1 }, { delayMs, msgId });
    assert.equal(again.duplicate, true, "the same msgId within the duplicate window schedules nothing more");

    const [message] = await received.waitForCount(1, WAIT_MS, "the delayed message");
    assert.deepEqual(message!.data, { n: 1 });
    assert.ok(message!.at >= publishedAt + delayMs, `handled ${message!.at - publishedAt} ms after publish; the delay was ${delayMs} ms`);
    const stored = await storedAt(s.jsm, stream.name, subject);
    assert.ok(stored >= publishedAt + delayMs, `stored for listeners ${stored - publishedAt} ms after publish; the delay was ${delayMs} ms`);
    assert.equal(message!.ctx.correlationId, "corr-delayed");
    assert.equal(message!.ctx.traceparent?.split("-")[1], TRACEPARENT.split("-")[1], "the trace continues");
    assert.equal(message!.ctx.headers["X-Tenant"], "acme");
    assert.equal(message!.ctx.headers["Eb-Msg-Id"], msgId, "the msgId travels in Eb-Msg-Id (the server drops Nats-Msg-Id from the delivered copy)");
    assert.equal(message!.ctx.subject, subject);
    const info = await s.jsm.streams.info(stream.name, { subjects_filter: `${stream.prefix}.>` });
    assert.deepEqual(info.state.subjects, { [subject]: 1 }, "one message on the subject: the duplicate scheduled nothing");
  });

  test("at: a Date; one already past is delivered at once; ttlMs on a delayed message starts when it is due", async () => {
    const s = await server();
    const stream = streamFor({ allowSchedules: true, allowMessageTtl: true });
    const bus = await busOn(s, [stream]);
    const subject = `${stream.prefix}.at`;
    const received = new Collector<Received>();
    await bus.listen([recorder(subject, received)]);
    const at = new Date(Date.now() + 1_000);
    await bus.publish(subject, "later", { at, ttlMs: 60_000 });
    await bus.publish(subject, "past", { at: new Date(Date.now() - 60_000) });
    const [first, second] = await received.waitForCount(2, WAIT_MS, "both messages");
    assert.equal(first!.data, "past", "a time already past is due at once");
    assert.equal(second!.data, "later");
    assert.ok(second!.at >= at.getTime(), `handled ${at.getTime() - second!.at} ms before its time`);
    assert.equal(second!.ctx.headers["Nats-TTL"], "60s", "the delivered copy has the TTL, from when it was due");
  });

  test("a delayed message survives a server restart before it is due", async () => {
    // A server of its own: the restart must not disturb the other tests.
    const nats = await startNatsServer({ binary: (current as ServerBinary).binary });
    cleanup(() => nats.stop());
    const s = await serverOf(current as ServerBinary);
    const stream = streamFor({ allowSchedules: true, storage: "file" });
    const publisher = await busOn({ ...s, nats }, [stream]);
    const subject = `${stream.prefix}.survivor`;
    const delayMs = 6_000;
    const publishedAt = Date.now();
    await publisher.publish(subject, { survived: true }, { delayMs });
    await publisher.close();
    await nats.restart();
    assert.ok(Date.now() < publishedAt + delayMs, "precondition: the restart finished before the message was due (else this test proves nothing)");
    const listener = await busOn({ ...s, nats }, [stream]);
    const received = new Collector<Received>();
    await listener.listen([recorder(subject, received)]);
    const [message] = await received.waitForCount(1, WAIT_MS + delayMs, "the delayed message after the restart");
    assert.deepEqual(message!.data, { survived: true });
    assert.ok(message!.at >= publishedAt + delayMs);
  });

  test("ttlMs: the message leaves the stream once its TTL has passed, handled or not", async () => {
    const s = await server();
    const stream = streamFor({ allowMessageTtl: true });
    const bus = await busOn(s, [stream]);
    const subject = `${stream.prefix}.short-lived`;
    const receipt = await bus.publish(subject, "soon gone", { ttlMs: 1_000 });
    const stored = await s.jsm.streams.getMessage(stream.name, { seq: receipt.seq! });
    assert.equal(stored?.header.get("Nats-TTL"), "1s");
    await pollUntil(
      async () => ((await s.jsm.streams.info(stream.name)).state.messages === 0 ? true : undefined),
      WAIT_MS,
      "the message to expire from the stream",
    );
    const kept = await bus.publish(subject, "kept");
    assert.equal((await s.jsm.streams.info(stream.name)).state.messages, 1, `a message without ttlMs stays (seq ${kept.seq})`);
  });

  test("provisioning adds allowSchedules and allowMessageTtl to an existing stream with messages, and reports that it cannot take them away", async () => {
    const s = await server();
    const plain = streamFor();
    await s.jsm.streams.add({ name: plain.name, subjects: plain.subjects, storage: StorageType.Memory });
    const before = await busOn(s, [plain]);
    await before.publish(`${plain.prefix}.old`, "already there");

    const flagged = { ...plain, allowSchedules: true, allowMessageTtl: true };
    const bus = await busOn(s, [flagged]);
    await assert.rejects(
      bus.publish(`${plain.prefix}.x`, 1, { delayMs: 10 }),
      (err: unknown) => err instanceof StreamFeatureError && err.stream === plain.name && err.streamOption === "allowSchedules" && /nats-events provision/.test(err.message),
      "connect creates missing streams only: until provisioning, the server's stream lacks the flag",
    );
    const [change] = await bus.provision([]);
    assert.equal(change?.action, "update", JSON.stringify(change));
    assert.match(change!.detail, /allow_msg_ttl: false -> true/);
    assert.match(change!.detail, /allow_msg_schedules: false -> true/);
    assert.match(change!.detail, new RegExp(`_EB_SCHEDULE\\.${plain.name}\\.>`));
    const config = (await s.jsm.streams.info(plain.name)).config;
    assert.equal(config.allow_msg_schedules, true);
    assert.equal(config.allow_msg_ttl, true);
    assert.equal((await s.jsm.streams.info(plain.name)).state.messages, 1, "the stream kept its message");
    await bus.publish(`${plain.prefix}.x`, 1, { delayMs: 10, ttlMs: 5_000 });
    assert.equal((await bus.provision([]))[0]?.action, "unchanged", "provisioning again changes nothing");

    const off = await busOn(s, [{ ...plain, allowSchedules: false, allowMessageTtl: false, allowWeakening: true }]);
    const [kept] = await off.provision([]);
    assert.deepEqual(kept?.refused, ["allow_msg_ttl: true -> false", "allow_msg_schedules: true -> false"]);
    assert.match(kept!.detail, /nats-server cannot turn it off/);
    assert.equal((await s.jsm.streams.info(plain.name)).config.allow_msg_schedules, true);
  });

  test("nats-events publish --delay / --at / --ttl", async () => {
    const s = await server();
    const stream = streamFor({ allowSchedules: true, allowMessageTtl: true });
    const { prefix: _prefix, ...configured } = stream;
    const config = path.join(s.cwd, `${stream.name}.config.mjs`);
    await writeFile(config, `export default ${JSON.stringify({ transport: "jetstream", streams: [configured] })};\n`);
    const bus = await busOn(s, [stream]);
    const subject = `${stream.prefix}.cli`;
    const received = new Collector<Received>();
    await bus.listen([recorder(subject, received)]);
    const cli = (args: string[]) => group.run(["publish", subject, ...args, "-c", config, "-s", s.nats.url], { name: `publish ${args.join(" ")}`, timeoutMs: 45_000 });

    const publishedAt = Date.now();
    const delayed = await cli(['{"n":1}', "--delay", "2s", "--ttl", "60s"]);
    assert.equal(delayed.exit?.code, 0, delayed.output());
    assert.match(delayed.stdoutLines.join("\n"), new RegExp(`published to ${subject}, for delivery from 20\\d\\d-`));
    const [message] = await received.waitForCount(1, WAIT_MS, "the message published with --delay 2s");
    assert.ok(message!.at >= publishedAt + 2_000, `handled ${message!.at - publishedAt} ms after the command started`);
    assert.equal(message!.ctx.headers["Nats-TTL"], "60s");

    const bad = await cli(["1", "--delay", "soon"]);
    assert.equal(bad.exit?.code, 1);
    assert.match(bad.output(), /EB_ERR_CONFIG: --delay "soon" is not a duration \(90s, 15m, 2h, 1d\)/);
    const both = await cli(["1", "--delay", "1s", "--at", new Date().toISOString()]);
    assert.match(both.output(), /EB_ERR_PUBLISH_OPTION: publish to "[^"]+": option "delayMs" was given together with option "at"/);
  });

  test("a stream that has not opted in: StreamFeatureError naming the stream and the option; nothing stored", async () => {
    const s = await server();
    const stream = streamFor();
    const bus = await busOn(s, [stream]);
    const subject = `${stream.prefix}.nope`;
    await assert.rejects(bus.publish(subject, 1, { delayMs: 1_000 }), errorWithCode(ErrorCodes.STREAM_FEATURE, `stream "${stream.name}"`, "allowSchedules: true", `"${subject}"`));
    await assert.rejects(bus.publish(subject, 1, { at: new Date() }), errorWithCode(ErrorCodes.STREAM_FEATURE, "with at", "allowSchedules"));
    await assert.rejects(bus.publish(subject, 1, { ttlMs: 1_000 }), errorWithCode(ErrorCodes.STREAM_FEATURE, `stream "${stream.name}"`, "allowMessageTtl: true"));
    await assert.rejects(bus.publish(`elsewhere.${uniqueName("x")}`, 1, { delayMs: 1 }), errorWithCode(ErrorCodes.NO_STREAM));
    assert.equal((await s.jsm.streams.info(stream.name)).state.messages, 0);
  });
});

test("core NATS stores nothing: delayMs and ttlMs are a PublishOptionError naming the transport", async () => {
  const server = await serverOf({ binary: natsServerBinary(), version: "under test" });
  const bus = await busOn(server, [], { transport: "nats" });
  await assert.rejects(bus.publish("reminder.due", 1, { delayMs: 1_000 }), errorWithCode(ErrorCodes.PUBLISH_OPTION, `option "delayMs"`, `transport "nats" stores nothing`, `"reminder.due"`));
  await assert.rejects(bus.publish("reminder.due", 1, { ttlMs: 1_000 }), errorWithCode(ErrorCodes.PUBLISH_OPTION, `option "ttlMs"`, `transport "nats" stores nothing`));
});

const old = serverWithout("per-message TTL");
describe("on a nats-server older than 2.11", { skip: typeof old === "string" ? old : false }, () => {
  test("delayMs, at and ttlMs fail with ServerVersionError naming the feature and both versions; a stream asking for them is refused at connect and at provisioning", async () => {
    const server = await serverOf(old as ServerBinary);
    const version = (old as ServerBinary).version;
    const plain = streamFor();
    const bus = await busOn(server, [{ ...plain, allowSchedules: true, allowMessageTtl: true }], { createStreamsOnConnect: false });
    const subject = `${plain.prefix}.x`;
    const isVersionError = (feature: string, required: string) => (err: unknown) => {
      assert.ok(err instanceof ServerVersionError, String(err));
      assert.equal(err.code, ErrorCodes.SERVER_VERSION);
      assert.match(err.feature, new RegExp(feature));
      assert.deepEqual([err.required, err.found], [required, version]);
      assert.match(err.message, new RegExp(`needs nats-server ${required.replaceAll(".", "\\.")} or later; the connected server is nats-server ${version.replaceAll(".", "\\.")}`));
      return true;
    };
    await assert.rejects(bus.publish(subject, 1, { delayMs: 1_000 }), isVersionError("message schedules", "2.12.0"));
    await assert.rejects(bus.publish(subject, 1, { at: new Date() }), isVersionError("message schedules", "2.12.0"));
    await assert.rejects(bus.publish(subject, 1, { ttlMs: 1_000 }), isVersionError("per-message TTL", "2.11.0"));
    await assert.rejects(bus.provision([]), isVersionError("message schedules", "2.12.0"));
    await assert.rejects(busOn(server, [{ ...streamFor(), allowMessageTtl: true }]), isVersionError("per-message TTL", "2.11.0"));
    await assert.rejects(server.jsm.streams.info(plain.name), /not found/i, "nothing was created");
  });
});
