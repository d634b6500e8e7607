// Event contracts over a real nats-server: validation on publish (nothing sent) and on consume
// (never the handler; logged with the paths; dead-lettered, and on JetStream terminated), the
// cross-language check (snake_case JSON sent as raw bytes by the plain NATS client, as a Python or
// Go service would, read as the camelCase contract with Dates; what we publish reads back as
// snake_case), a per-subject MessagePack codec with its Content-Type, a refused Content-Type,
// request-reply with a reply schema, and payloads at and over the server's max_payload.
import "reflect-metadata";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { injectable } from "tsyringe";
import { z } from "zod";
import {
  ErrorCodes,
  EventBus,
  EventBusError,
  JsonCodec,
  Listen,
  RemoteError,
  ValidationError,
  defineEvent,
  unchecked,
  type MessageContext,
  type PayloadOutput,
} from "../../src/index.js";
import { MessagePackCodec } from "../../src/codec/msgpack/index.js";
import { Collector, uniqueName } from "../helpers/unique.js";
import { capturingLogger, serverWithRawClient, silentLogger } from "./support.js";

const WAIT_MS = 10_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const run = uniqueName("contracts");

// --- the contracts, as a shared module would declare them ---
const OrderPlaced = defineEvent(
  `core.${run}.order.placed`,
  z.object({
    orderId: z.string().min(1),
    quantity: z.number().int().min(1),
    customer: z.object({ email: z.email(), memberSince: z.date() }),
    lineItems: z.array(z.object({ productSku: z.string(), unitPrice: z.number().nonnegative() })).min(1),
    placedAt: z.date(),
  }),
  { dates: ["placedAt", "customer.memberSince"], codec: new JsonCodec({ keys: "snake_case" }) },
);
type OrderPlaced = PayloadOutput<typeof OrderPlaced>;

const StoredOrder = defineEvent(`integ.${run}.order.stored`, z.object({ orderId: z.string(), total: z.number() }));

const PackedReading = defineEvent(
  `core.${run}.sensor.reading`,
  z.object({ sensorId: z.string(), values: z.array(z.number()), takenAt: z.date() }),
  { codec: new MessagePackCodec({ keys: "snake_case" }), dates: ["takenAt"] },
);

const PriceQuote = defineEvent(`core.${run}.price.quote`, z.object({ sku: z.string() }), {
  reply: z.object({ sku: z.string(), unitPrice: z.number().positive() }),
});

const Blob = defineEvent(`core.${run}.blob`, unchecked<{ text: string }>());

const placed = new Collector<{ order: OrderPlaced; ctx: MessageContext }>();
const stored = new Collector<{ orderId: string; total: number }>();
const readings = new Collector<PayloadOutput<typeof PackedReading>>();

@injectable()
class CoreListeners {
  @Listen(OrderPlaced, "fulfilment")
  onPlaced(order: OrderPlaced, ctx: MessageContext): void {
    placed.push({ order, ctx });
  }

  @Listen(PackedReading)
  onReading(reading: PayloadOutput<typeof PackedReading>): void {
    readings.push(reading);
  }

  @Listen(PriceQuote, "pricing", { durable: false })
  quote(request: { sku: string }): { sku: string; unitPrice: number } {
    // "FREE" breaks the reply contract (unitPrice must be positive): the responder refuses to send it.
    return { sku: request.sku, unitPrice: request.sku === "FREE" ? 0 : 12.5 };
  }
}

@injectable()
class StoredListener {
  @Listen(StoredOrder, "ledger")
  onStored(order: { orderId: string; total: number }): void {
    stored.push(order);
  }
}

const server = serverWithRawClient("contracts");

/** A plain nats.js subscription that records what arrives, exactly as sent. */
async function rawWatch(subject: string): Promise<Collector<{ text: string; bytes: Uint8Array; headers: Record<string, string> }>> {
  const collector = new Collector<{ text: string; bytes: Uint8Array; headers: Record<string, string> }>();
  server.raw.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return;
      const headers: Record<string, string> = {};
      for (const key of msg.headers?.keys() ?? []) headers[key] = msg.headers!.get(key);
      collector.push({ text: decoder.decode(msg.data), bytes: msg.data, headers });
    },
  });
  await server.raw.flush();
  return collector;
}

const validOrder = (orderId: string): OrderPlaced => ({
  orderId,
  quantity: 2,
  customer: { email: "ann@example.com", memberSince: new Date("2019-03-04T05:06:07.000Z") },
  lineItems: [{ productSku: "BOOK-1", unitPrice: 12.5 }],
  placedAt: new Date("2024-05-01T12:30:00.000Z"),
});

describe("contracts over core NATS", () => {
  let bus: EventBus;
  const log = capturingLogger();

  before(async () => {
    bus = new EventBus();
    server.keep(bus);
    await bus.connect({ transport: "nats", servers: [server.nats.url], logger: log.logger, env: {}, cwd: server.cwd });
    await bus.listen([CoreListeners]);
  });

  test("publish: invalid data is a ValidationError listing every failing path, and nothing reaches the server", async () => {
    const wire = await rawWatch(OrderPlaced.subject);
    const bad = { ...validOrder("o-bad"), quantity: 0, customer: { email: "not-an-email", memberSince: "yesterday" }, lineItems: [] };
    const err = await bus.publish(OrderPlaced, bad as never).catch((error: unknown) => error);
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    assert.equal(err.code, "EB_ERR_VALIDATION");
    assert.deepEqual(err.issues.map((issue) => issue.path).sort(), ["customer.email", "customer.memberSince", "lineItems", "quantity"]);
    assert.match(err.message, /^invalid payload for "core\..*\.order\.placed" \(publish; nothing was sent\): /);
    // The next valid publish is the first thing the raw subscriber sees.
    await bus.publish(OrderPlaced, validOrder("o-after-bad"));
    const [first] = await wire.waitForCount(1, WAIT_MS, "the valid order on the wire");
    assert.match(first!.text, /"order_id":"o-after-bad"/);
    await placed.waitForCount(1, WAIT_MS, "the valid order in the listener");
  });

  test("cross-language: snake_case JSON bytes from the plain NATS client (as Python or Go sends them) arrive as the camelCase contract with Dates", async () => {
    const before = placed.length;
    // What `json.dumps(...)` in a Python service would send: snake_case keys, ISO 8601 with an offset, no headers.
    const python = JSON.stringify({
      order_id: "py-1",
      quantity: 3,
      customer: { email: "bo@example.com", member_since: "2021-07-08T09:10:11.123456+00:00" },
      line_items: [{ product_sku: "MUG-2", unit_price: 8 }, { product_sku: "TEE-3", unit_price: 19.9 }],
      placed_at: "2024-05-01T14:30:00+02:00",
    });
    server.raw.publish(OrderPlaced.subject, encoder.encode(python));
    const [{ order, ctx }] = (await placed.waitForCount(before + 1, WAIT_MS, "the Python order")).slice(before) as [{ order: OrderPlaced; ctx: MessageContext }];
    assert.equal(ctx.subject, OrderPlaced.subject);
    assert.deepEqual(order, {
      orderId: "py-1",
      quantity: 3,
      customer: { email: "bo@example.com", memberSince: new Date("2021-07-08T09:10:11.123Z") },
      lineItems: [{ productSku: "MUG-2", unitPrice: 8 }, { productSku: "TEE-3", unitPrice: 19.9 }],
      placedAt: new Date("2024-05-01T12:30:00.000Z"),
    });
    assert.ok(order.placedAt instanceof Date && order.customer.memberSince instanceof Date);
  });

  test("cross-language: what we publish reads back, through the plain NATS client, as snake_case JSON with ISO dates and no Content-Type header", async () => {
    const wire = await rawWatch(OrderPlaced.subject);
    await bus.publish(OrderPlaced.subject, validOrder("ts-1"));
    const [message] = await wire.waitForCount(1, WAIT_MS, "our order on the wire");
    assert.deepEqual(JSON.parse(message!.text), {
      order_id: "ts-1",
      quantity: 2,
      customer: { email: "ann@example.com", member_since: "2019-03-04T05:06:07.000Z" },
      line_items: [{ product_sku: "BOOK-1", unit_price: 12.5 }],
      placed_at: "2024-05-01T12:30:00.000Z",
    });
    assert.equal(message!.headers["Content-Type"], undefined, "JSON needs no Content-Type: a Python json.loads reads it as is");
  });

  test("consume: an invalid message never reaches the handler; it is logged with the paths and dead-lettered", async () => {
    const dead = await rawWatch(`dead-letter.${OrderPlaced.subject}`);
    const before = placed.length;
    server.raw.publish(OrderPlaced.subject, encoder.encode(JSON.stringify({ order_id: "", quantity: "2", customer: {}, line_items: [], placed_at: "soon" })));
    const [letter] = await dead.waitForCount(1, WAIT_MS, "the dead letter of the invalid order");
    assert.equal(letter!.headers["Eb-Dead-Letter-Reason"], "invalid");
    assert.equal(letter!.headers["Eb-Error-Code"], "EB_ERR_VALIDATION");
    assert.equal(letter!.headers["Eb-Listener"], "CoreListeners.onPlaced");
    assert.match(letter!.headers["Eb-Error"]!, /\(consumed by CoreListeners\.onPlaced; the handler was not called\): .*quantity: .*placedAt: /);
    assert.match(letter!.text, /"quantity":"2"/, "the dead letter keeps the original bytes");
    const line = log.lines.find((entry) => entry.message === "message rejected: invalid payload");
    assert.ok(line, `no rejection logged; lines: ${log.lines.map((entry) => entry.message).join(" | ")}`);
    const fields = line.fields as { code: string; issues: string[]; listener: string; subject: string };
    assert.equal(fields.code, "EB_ERR_VALIDATION");
    assert.equal(fields.listener, "CoreListeners.onPlaced");
    assert.deepEqual(fields.issues.map((issue) => issue.split(":")[0]).sort(), ["customer.email", "customer.memberSince", "lineItems", "orderId", "placedAt", "quantity"]);
    // A valid message afterwards is handled, and it is the only new one.
    await bus.publish(OrderPlaced, validOrder("o-after-invalid"));
    const after = await placed.waitForCount(before + 1, WAIT_MS, "the next valid order");
    assert.deepEqual(after.slice(before).map((item) => item.order.orderId), ["o-after-invalid"]);
  });

  test("MessagePack per subject: the listener decodes it, the wire says Content-Type: application/msgpack", async () => {
    const wire = await rawWatch(PackedReading.subject);
    const takenAt = new Date("2024-05-01T12:30:00.000Z");
    await bus.publish(PackedReading, { sensorId: "s-1", values: [1.5, -2, 3e10], takenAt });
    const [reading] = await readings.waitForCount(1, WAIT_MS, "the MessagePack reading");
    assert.deepEqual(reading, { sensorId: "s-1", values: [1.5, -2, 3e10], takenAt });
    const [message] = await wire.waitForCount(1, WAIT_MS, "the reading on the wire");
    assert.equal(message!.headers["Content-Type"], "application/msgpack");
    assert.deepEqual(new MessagePackCodec().decode(message!.bytes, "s"), { sensor_id: "s-1", values: [1.5, -2, 3e10], taken_at: takenAt });
  });

  test("a Content-Type the listener has no codec for is refused with EB_ERR_UNSUPPORTED_CONTENT_TYPE and dead-lettered, never the handler", async () => {
    const dead = await rawWatch(`dead-letter.${PackedReading.subject}`);
    const before = readings.length;
    const headers = natsHeaders();
    headers.set("Content-Type", "application/x-protobuf");
    server.raw.publish(PackedReading.subject, Uint8Array.from([8, 1, 18, 3]), { headers });
    const [letter] = await dead.waitForCount(1, WAIT_MS, "the dead letter of the protobuf message");
    assert.equal(letter!.headers["Eb-Dead-Letter-Reason"], "undecodable");
    assert.equal(letter!.headers["Eb-Error-Code"], "EB_ERR_UNSUPPORTED_CONTENT_TYPE");
    assert.match(letter!.headers["Eb-Error"]!, /has Content-Type "application\/x-protobuf", but CoreListeners\.onReading decodes only application\/msgpack and application\/json/);
    assert.equal(readings.length, before);
  });

  test("request-reply: the request is validated before sending, the reply against the contract's reply schema", async () => {
    const quote = await bus.request(PriceQuote, { sku: "BOOK-1" }, { timeout: WAIT_MS });
    assert.deepEqual(quote, { sku: "BOOK-1", unitPrice: 12.5 });
    await assert.rejects(bus.request(PriceQuote, { sku: 7 } as never), (err: unknown) => err instanceof ValidationError && err.direction === "request" && /sku: /.test(err.message));
    // The responder's answer breaks the reply schema: it sends an error reply instead.
    await assert.rejects(bus.request(PriceQuote, { sku: "FREE" }, { timeout: WAIT_MS }), (err: unknown) => {
      assert.ok(err instanceof RemoteError, String(err));
      assert.equal(err.remoteCode, "EB_ERR_VALIDATION");
      assert.match(err.remoteMessage, /unitPrice: /);
      return true;
    });
    // A responder outside the contract (another service) answering wrongly: the requester rejects the reply.
    const rogue = server.raw.subscribe(`core.${run}.price.rogue`, { callback: (_err, msg) => void msg.respond(encoder.encode('{"sku":"X","unitPrice":"cheap"}')) });
    await server.raw.flush();
    const RogueQuote = defineEvent(`core.${run}.price.rogue`, z.object({ sku: z.string() }), { reply: z.object({ sku: z.string(), unitPrice: z.number() }) });
    await assert.rejects(bus.request(RogueQuote, { sku: "X" }, { timeout: WAIT_MS }), (err: unknown) => err instanceof ValidationError && err.direction === "reply" && /unitPrice: /.test(err.message));
    rogue.unsubscribe();
  });

  test("payload sizes: just under max_payload is delivered whole; one byte over is EB_ERR_PAYLOAD_TOO_LARGE with the sizes, and nothing is sent", async () => {
    const max = server.raw.info!.max_payload;
    assert.equal(max, 1024 * 1024);
    const wire = await rawWatch(Blob.subject);
    const overhead = encoder.encode(JSON.stringify({ text: "" })).length;
    const fits = "é".repeat((max - overhead) / 2 - 1) + "x".repeat(((max - overhead) % 2) + 2);
    assert.equal(encoder.encode(JSON.stringify({ text: fits })).length, max, "exactly max_payload bytes");
    await bus.publish(Blob, { text: fits });
    const err = await bus.publish(Blob, { text: `${fits}!` }).catch((error: unknown) => error);
    assert.ok(err instanceof EventBusError && err.code === ErrorCodes.PAYLOAD_TOO_LARGE, `expected EB_ERR_PAYLOAD_TOO_LARGE, got ${String(err)}`);
    assert.match(err.message, new RegExp(`cannot publish to "${Blob.subject.replace(/\./g, "\\.")}": the message is ${max + 1} bytes, over the server's max_payload of ${max} bytes; nothing was sent`));
    // Headers count too: the same payload that fitted is over the limit with a header...
    await assert.rejects(bus.publish(Blob, { text: fits }, { headers: { "X-Trace": "1" } }), (error: unknown) =>
      error instanceof EventBusError && error.code === ErrorCodes.PAYLOAD_TOO_LARGE && /payload 1048576 \+ headers 24\)/.test(error.message),
    );
    // ...and exactly max_payload with them is accepted: "NATS/1.0\r\n" + "X-Trace: 1\r\n" + "\r\n" is 24 bytes.
    const fitsWithHeader = "x".repeat(max - overhead - 24);
    await bus.publish(Blob, { text: fitsWithHeader }, { headers: { "X-Trace": "1" } });
    await bus.publish(Blob, { text: "after" });
    const got = await wire.waitForCount(3, WAIT_MS, "the fitting blob, the one with a header and the marker");
    assert.equal(got[0]!.bytes.length, max);
    assert.equal(JSON.parse(got[0]!.text).text, fits, "unicode intact at the limit");
    assert.equal(got[1]!.bytes.length, max - 24, "payload plus headers exactly max_payload");
    assert.equal(got[2]!.text, '{"text":"after"}', "nothing was sent in between");
    // A request over the limit fails the same way.
    await assert.rejects(bus.request(Blob.subject, { text: `${fits}!` }), (error: unknown) => error instanceof EventBusError && error.code === ErrorCodes.PAYLOAD_TOO_LARGE && /cannot send a request/.test(error.message));
  });
});

describe("contracts over JetStream", () => {
  let bus: EventBus;

  before(async () => {
    bus = new EventBus();
    server.keep(bus);
    await bus.connect({
      transport: "jetstream",
      servers: [server.nats.url],
      logger: silentLogger,
      env: {},
      cwd: server.cwd,
      streams: [{ name: "CONTRACTS", subjects: [`integ.${run}.>`], storage: "memory" }],
      retry: { maxDeliver: 5, initialDelayMs: 50, maxDelayMs: 200 },
    });
    await bus.listen([StoredListener]);
  });

  test("an invalid stored message is dead-lettered at once (not retried) and terminated; valid ones are handled", async () => {
    const dead = await rawWatch(`dead-letter.${StoredOrder.subject}`);
    await bus.transport.publish(StoredOrder.subject, encoder.encode('{"orderId":"j-1","total":"ten"}'));
    const [letter] = await dead.waitForCount(1, WAIT_MS, "the JetStream dead letter");
    assert.equal(letter!.headers["Eb-Dead-Letter-Reason"], "invalid");
    assert.equal(letter!.headers["Eb-Delivery-Count"], "1", "poison is not retried");
    assert.match(letter!.headers["Eb-Error"]!, /total: /);
    await bus.publish(StoredOrder, { orderId: "j-2", total: 10 });
    assert.deepEqual(await stored.waitForCount(1, WAIT_MS, "the valid stored order"), [{ orderId: "j-2", total: 10 }]);
    // Terminated, not waiting for a redelivery: the consumer has nothing pending and nothing unacknowledged.
    const jsm = await jetstreamManager(server.raw);
    let last = "";
    const settled = async () => {
      for await (const info of jsm.consumers.list("CONTRACTS")) {
        if (info.config.filter_subject !== StoredOrder.subject) continue;
        last = `pending ${info.num_pending}, ack pending ${info.num_ack_pending}, redelivered ${info.num_redelivered}`;
        return info.num_pending === 0 && info.num_ack_pending === 0 && info.num_redelivered === 0;
      }
      return false;
    };
    const deadline = Date.now() + WAIT_MS;
    while (!(await settled())) {
      if (Date.now() > deadline) assert.fail(`the consumer did not settle: ${last}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(stored.length, 1, "the invalid message never reached the handler");
  });

  test("publish: an invalid message is not stored", async () => {
    const jsm = await jetstreamManager(server.raw);
    const before = (await jsm.streams.info("CONTRACTS")).state.messages;
    await assert.rejects(bus.publish(StoredOrder, { orderId: "j-3" } as never), (err: unknown) => err instanceof ValidationError && /total: /.test(err.message));
    assert.equal((await jsm.streams.info("CONTRACTS")).state.messages, before);
  });

  test("a message over max_payload is EB_ERR_PAYLOAD_TOO_LARGE on JetStream too", async () => {
    const big = { orderId: "x".repeat(1024 * 1024), total: 1 };
    await assert.rejects(bus.publish(StoredOrder, big), (err: unknown) => err instanceof EventBusError && err.code === ErrorCodes.PAYLOAD_TOO_LARGE && /over the server's max_payload of 1048576 bytes/.test(err.message));
  });
});
