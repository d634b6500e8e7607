/**
 * defineEvent() and the contract rules without a server (memory transport): what a contract
 * accepts, how validation errors read (zod and valibot), what is sent (the schema's output),
 * asynchronous validators, unchecked<T>(), and contracts applied by subject string and to
 * wildcard listeners. The same behaviour over a real nats-server is in
 * test/integration/contracts.test.ts.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import * as v from "valibot";
import { z } from "zod";
import {
  ErrorCodes,
  EventBus,
  JsonCodec,
  Listen,
  MemoryBroker,
  MemoryTransport,
  ValidationError,
  contractRegistry,
  defineEvent,
  unchecked,
  type Logger,
  type MessageContext,
} from "../../src/index.js";
import { formatPath } from "../../src/contracts/validate.js";
import { Collector, uniqueName } from "../helpers/unique.js";
import { errorWithCode as hasCode } from "../helpers/assertions.js";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const WAIT_MS = 5_000;
const base = uniqueName("unit-contract");


const OrderSchema = z.object({
  id: z.string(),
  quantity: z.number().int().min(1),
  email: z.email(),
  items: z.array(z.object({ sku: z.string() })).default([]),
});
const ZodOrder = defineEvent(`${base}.zod.order`, OrderSchema);
const ValibotOrder = defineEvent(
  `${base}.valibot.order`,
  v.object({ id: v.string(), quantity: v.pipe(v.number(), v.integer(), v.minValue(1)), tags: v.array(v.string()) }),
);

/** A Standard Schema whose validate() is asynchronous (like a refinement that looks something up). */
function asyncSchema<T>(accept: (value: unknown) => value is T, message: string): StandardSchemaV1<T, T> {
  return {
    "~standard": {
      version: 1,
      vendor: "test-async",
      validate: async (value) => {
        await new Promise((resolve) => setImmediate(resolve));
        return accept(value) ? { value } : { issues: [{ message, path: [{ key: "token" }] }] };
      },
    },
  };
}
const AsyncChecked = defineEvent(
  `${base}.async`,
  asyncSchema((value): value is { token: string } => typeof (value as { token?: unknown })?.token === "string", "token must be a string"),
);
const Audit = defineEvent(`${base}.audit.logged`, unchecked<{ actor: string }>());
const Stamped = defineEvent(`${base}.stamped`, z.object({ at: z.date(), list: z.array(z.object({ when: z.date() })) }), {
  dates: ["at", "list[].when"],
  codec: new JsonCodec({ keys: "snake_case" }),
});

const received = new Collector<{ listener: string; subject: string; data: unknown }>();

class ContractListeners {
  @Listen(ZodOrder)
  onZod(order: z.output<typeof OrderSchema>, ctx: MessageContext): void {
    received.push({ listener: "zod", subject: ctx.subject, data: order });
  }

  @Listen(`${base}.valibot.order`)
  onValibot(order: unknown, ctx: MessageContext): void {
    received.push({ listener: "valibot", subject: ctx.subject, data: order });
  }

  @Listen(AsyncChecked)
  onAsync(data: { token: string }, ctx: MessageContext): void {
    received.push({ listener: "async", subject: ctx.subject, data, ...{ raw: ctx.raw } });
  }

  @Listen(Stamped)
  onStamped(data: { at: Date }, ctx: MessageContext): void {
    received.push({ listener: "stamped", subject: ctx.subject, data });
  }

  @Listen(`${base}.*.order`)
  onAnyOrder(data: unknown, ctx: MessageContext): void {
    received.push({ listener: "wildcard", subject: ctx.subject, data });
  }
}

describe("defineEvent(): what a contract accepts", () => {
  test("a contract is recorded by subject and frozen", () => {
    assert.equal(contractRegistry.get(ZodOrder.subject), ZodOrder);
    assert.ok(Object.isFrozen(ZodOrder));
    assert.deepEqual(Stamped.dates, ["at", "list[].when"]);
  });

  test("each misuse is a coded error naming the subject and what is wrong", () => {
    const s = `${base}.bad`;
    assert.throws(() => defineEvent(`${s}.*`, unchecked()), hasCode(ErrorCodes.INVALID_SUBJECT, /defineEvent\(".*\.bad\.\*"\): the subject must not contain wildcards/));
    assert.throws(() => defineEvent(`${s}.a`, { parse() {} } as never), hasCode(ErrorCodes.INVALID_CONTRACT, /the schema must be a Standard Schema .*keys: parse/));
    assert.throws(() => defineEvent(`${s}.b`, unchecked(), { date: ["x"] } as never), hasCode(ErrorCodes.INVALID_CONTRACT, /unknown option "date"; known: dates, codec, reply/));
    assert.throws(() => defineEvent(`${s}.c`, unchecked(), { codec: { encode() {} } as never }), hasCode(ErrorCodes.INVALID_CONTRACT, /option "codec" must have encode/));
    assert.throws(() => defineEvent(`${s}.d`, unchecked(), { reply: "nope" as never }), hasCode(ErrorCodes.INVALID_CONTRACT, /option "reply" must be a Standard Schema/));
    assert.throws(() => defineEvent(`${s}.e`, unchecked(), { dates: ["a[1]"] as never }), hasCode(ErrorCodes.INVALID_CONTRACT, /"dates" has the path "a\[1\]"/));
    assert.throws(() => defineEvent(ZodOrder.subject, OrderSchema), hasCode(ErrorCodes.DUPLICATE_CONTRACT, /already has a contract/));
    assert.equal(contractRegistry.get(ZodOrder.subject), ZodOrder, "the first definition stays");
  });

  test("issue paths read like code: items[0].sku, [\"odd key\"], (root)", () => {
    assert.equal(formatPath(["items", 0, "sku"]), "items[0].sku");
    assert.equal(formatPath([{ key: "a" }, { key: 2 }]), "a[2]");
    assert.equal(formatPath(["odd key", "x"]), '["odd key"].x');
    assert.equal(formatPath(undefined), "(root)");
    assert.equal(formatPath([]), "(root)");
  });
});

describe("contracts at run time (memory transport)", () => {
  let bus: EventBus;
  const broker = new MemoryBroker();
  const raw = (subject: string, json: string) => bus.transport.publish(subject, new TextEncoder().encode(json));
  const deadLetters = new Collector<{ subject: string; headers: Record<string, string> }>();

  before(async () => {
    bus = new EventBus();
    await bus.connect({ transportInstance: new MemoryTransport(broker), logger: silent, env: {} });
    await bus.listen([ContractListeners]);
    await bus.transport.subscribe({ subject: `dead-letter.${base}.>`, queueGroup: undefined, listenerId: "test.dead", concurrency: 100, durable: false }, async (delivery) => {
      deadLetters.push({ subject: delivery.subject, headers: { ...delivery.headers } });
    });
  });
  after(async () => bus?.close());

  test("publish: invalid data throws ValidationError listing every failing path (zod), nothing is sent", async () => {
    const before = received.length;
    const err = await bus.publish(ZodOrder, { id: "o-1", quantity: 0, email: "nope", items: [{ sku: 5 as never }] }).catch((error: unknown) => error);
    assert.ok(err instanceof ValidationError, String(err));
    assert.equal(err.code, ErrorCodes.VALIDATION);
    assert.equal(err.direction, "publish");
    assert.equal(err.subject, ZodOrder.subject);
    assert.deepEqual(err.issues.map((issue) => issue.path).sort(), ["email", "items[0].sku", "quantity"]);
    assert.match(err.message, new RegExp(`invalid payload for "${ZodOrder.subject.replace(/\./g, "\\.")}" \\(publish; nothing was sent\\): `));
    assert.match(err.message, /quantity: .*>=1/);
    // A valid message after it: when it has arrived (twice: exact and wildcard listener), the invalid one would have too.
    await bus.publish(ZodOrder, { id: "o-2", quantity: 1, email: "a@example.com" });
    await received.waitForCount(before + 2, WAIT_MS, "the valid order");
    assert.deepEqual(received.items.slice(before).map((item) => (item.data as { id: string }).id), ["o-2", "o-2"]);
  });

  test("what is sent is the schema's output: unknown keys stripped, defaults applied", async () => {
    const before = received.length;
    await bus.publish(ZodOrder.subject, { id: "o-3", quantity: 2, email: "b@example.com", password: "secret" } as never);
    const [first] = (await received.waitForCount(before + 2, WAIT_MS, "order o-3")).slice(before);
    assert.deepEqual(first!.data, { id: "o-3", quantity: 2, email: "b@example.com", items: [] });
  });

  test("valibot: the same rules through Standard Schema, by subject string on both sides", async () => {
    await assert.rejects(bus.publish(ValibotOrder.subject, { id: "v-1", quantity: 1.5, tags: ["a", 2] } as never), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(err.issues.map((issue) => issue.path).sort(), ["quantity", "tags[1]"]);
      return true;
    });
    const before = received.length;
    await bus.publish(ValibotOrder, { id: "v-2", quantity: 3, tags: [] });
    const got = (await received.waitForCount(before + 2, WAIT_MS, "valibot order")).slice(before);
    assert.deepEqual(got.map((item) => item.listener).sort(), ["valibot", "wildcard"]);
  });

  test("consume: an invalid message never reaches the handler (nor a wildcard listener); it is dead-lettered with the paths", async () => {
    const before = received.length;
    const deadBefore = deadLetters.length;
    await raw(ZodOrder.subject, JSON.stringify({ id: 1, quantity: 1, email: "c@example.com" }));
    const dead = (await deadLetters.waitForCount(deadBefore + 2, WAIT_MS, "two dead letters (exact and wildcard listener)")).slice(deadBefore);
    for (const letter of dead) {
      assert.equal(letter.headers["Eb-Dead-Letter-Reason"], "invalid");
      assert.equal(letter.headers["Eb-Error-Code"], "EB_ERR_VALIDATION");
      assert.match(letter.headers["Eb-Error"]!, /\(consume(d)? by ContractListeners\.on(Zod|AnyOrder); the handler was not called\): id: /);
    }
    assert.deepEqual(dead.map((letter) => letter.headers["Eb-Listener"]).sort(), ["ContractListeners.onAnyOrder", "ContractListeners.onZod"]);
    assert.equal(received.length, before, "no handler saw it");
  });

  test("asynchronous validators are awaited on both sides", async () => {
    await assert.rejects(bus.publish(AsyncChecked, { token: 5 } as never), (err: unknown) => err instanceof ValidationError && /token: token must be a string/.test(err.message));
    const deadBefore = deadLetters.length;
    await raw(AsyncChecked.subject, '{"token":false}');
    const [letter] = (await deadLetters.waitForCount(deadBefore + 1, WAIT_MS, "the async-invalid dead letter")).slice(deadBefore);
    assert.equal(letter!.headers["Eb-Dead-Letter-Reason"], "invalid");
    const before = received.length;
    await bus.publish(AsyncChecked, { token: "t" });
    const [item] = (await received.waitForCount(before + 1, WAIT_MS, "the async-valid message")).slice(before);
    assert.deepEqual(item!.data, { token: "t" });
  });

  test("unchecked<T>() validates nothing (types only)", async () => {
    const seen = new Collector<unknown>();
    const sub = await bus.transport.subscribe({ subject: Audit.subject, queueGroup: undefined, listenerId: "t", concurrency: 1, durable: false }, async (d) => seen.push(new TextDecoder().decode(d.data)));
    await bus.publish(Audit, { actor: 42 } as never);
    assert.deepEqual(await seen.waitForCount(1, WAIT_MS, "the unchecked message"), ['{"actor":42}']);
    await sub.drain();
  });

  test("a per-subject codec and dates: snake_case on the wire, Dates in the handler", async () => {
    const wire = new Collector<string>();
    const sub = await bus.transport.subscribe({ subject: Stamped.subject, queueGroup: undefined, listenerId: "t", concurrency: 1, durable: false }, async (d) => wire.push(new TextDecoder().decode(d.data)));
    const before = received.length;
    const at = new Date("2024-05-01T12:30:00.000Z");
    await bus.publish(Stamped, { at, list: [{ when: at }] });
    assert.deepEqual(await wire.waitForCount(1, WAIT_MS, "the raw message"), ['{"at":"2024-05-01T12:30:00.000Z","list":[{"when":"2024-05-01T12:30:00.000Z"}]}']);
    const [item] = (await received.waitForCount(before + 1, WAIT_MS, "the stamped message")).slice(before);
    const data = item!.data as { at: Date; list: Array<{ when: Date }> };
    assert.ok(data.at instanceof Date && data.at.getTime() === at.getTime());
    assert.ok(data.list[0]!.when instanceof Date);
    await sub.drain();
  });
});
