import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, EventBusError, JsonCodec } from "../../src/index.js";
import { errorWithCode as hasCode } from "../helpers/assertions.js";

const codec = new JsonCodec();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);


describe("JsonCodec", () => {
  test("round-trips plain JSON values without an envelope", () => {
    const values: unknown[] = [{ id: 1, items: [{ sku: "a", qty: 2 }], ok: true, none: null }, [1, "two", false], "text", 0, -12.5, true, null, {}, []];
    for (const value of values) {
      const bytes = codec.encode(value, "orders.created");
      assert.equal(text(bytes), JSON.stringify(value), "the wire format is plain JSON");
      assert.deepEqual(codec.decode(bytes, "orders.created"), value);
    }
    assert.equal(codec.contentType, "application/json");
  });

  test("keeps unicode intact (accents, CJK, emoji, escapes)", () => {
    const value = { name: "Zoë Ångström", city: "東京", mood: "🚀✨", quote: 'she said "hi"\n\ttab', nul: "\u0000" };
    const bytes = codec.encode(value, "s");
    assert.deepEqual(codec.decode(bytes, "s"), value);
    assert.equal(new TextDecoder().decode(bytes), JSON.stringify(value));
  });

  test("an empty payload: undefined encodes to zero bytes and zero bytes decode to undefined", () => {
    const bytes = codec.encode(undefined, "s");
    assert.equal(bytes.length, 0);
    assert.equal(codec.decode(new Uint8Array(0), "s"), undefined);
  });

  test("BigInt, circular references and values without a JSON form throw EB_ERR_ENCODE naming the subject", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.throws(() => codec.encode({ amount: 10n }, "payments.made"), hasCode(ErrorCodes.ENCODE, /payments\.made/));
    assert.throws(() => codec.encode(circular, "loops"), hasCode(ErrorCodes.ENCODE, /loops.*circular/i));
    assert.throws(() => codec.encode(() => 1, "fn"), hasCode(ErrorCodes.ENCODE, /function has no JSON form/));
    assert.throws(() => codec.encode(Symbol("s"), "sym"), hasCode(ErrorCodes.ENCODE, /symbol/));
  });

  test("the encode error keeps the underlying error as cause", () => {
    try {
      codec.encode({ n: 1n }, "s");
      assert.fail("encode must throw");
    } catch (err) {
      assert.ok(err instanceof EventBusError);
      assert.ok(err.cause instanceof TypeError);
    }
  });

  test("invalid bytes throw EB_ERR_DECODE naming the subject and size", () => {
    const cases: Uint8Array[] = [
      Uint8Array.from([0xff, 0xfe, 0xfd]), // not UTF-8
      new TextEncoder().encode("{not json"),
      new TextEncoder().encode("{\"a\":1} trailing"),
      new TextEncoder().encode("undefined"),
    ];
    for (const bytes of cases) {
      assert.throws(() => codec.decode(bytes, "inbound.subject"), hasCode(ErrorCodes.DECODE, new RegExp(`inbound\\.subject.*${bytes.length} bytes`)));
    }
  });
});
