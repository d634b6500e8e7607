/**
 * Codec options for services in other languages: key-case conversion (nested objects, arrays,
 * dictionaries left alone, exact round trips), Dates as ISO strings revived at the contract's
 * paths, unicode, payloads near 1 MiB, MessagePack, and the Content-Type rules.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { ErrorCodes, JsonCodec, defineEvent, type Codec } from "../../src/index.js";
import { MSGPACK_CONTENT_TYPE, MessagePackCodec } from "../../src/codec/msgpack/index.js";
import { convertKeys, toCamelKey, toSnakeKey } from "../../src/codec/key-case.js";
import { contentTypeOf, mediaType } from "../../src/codec/content-type.js";
import { parseDatePaths, reviveDates } from "../../src/contracts/date-paths.js";
import { Wire } from "../../src/contracts/wire.js";
import { uniqueName } from "../helpers/unique.js";
import { errorWithCode as hasCode } from "../helpers/assertions.js";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const snake = new JsonCodec({ keys: "snake_case" });


describe("key case: camelCase in TypeScript, snake_case on the wire", () => {
  test("identifier keys convert both ways and round-trip exactly", () => {
    const pairs: Array<[string, string]> = [
      ["orderId", "order_id"],
      ["customerEmailAddress", "customer_email_address"],
      ["address2Line", "address2_line"],
      ["line2", "line2"],
      ["userID", "user_i_d"],
      ["a", "a"],
      ["already", "already"],
    ];
    for (const [camel, snakeKey] of pairs) {
      assert.equal(toSnakeKey(camel), snakeKey, `out: ${camel}`);
      assert.equal(toCamelKey(snakeKey), camel, `in: ${snakeKey}`);
    }
  });

  test("keys that are data (ids, locales, headers, leading underscores) pass unchanged both ways", () => {
    for (const key of ["BOOK-1", "en-US", "Content-Type", "_id", "__v", "X", "9lives", "with space", "ÄÖ", "東京"]) {
      assert.equal(toSnakeKey(key), key, `out: ${key}`);
      assert.equal(toCamelKey(key), key, `in: ${key}`);
    }
    assert.equal(toCamelKey("line_2"), "line_2", "an underscore before a digit stays (it has no capital to become)");
  });

  test("nested objects, arrays of objects, arrays of arrays; values untouched", () => {
    const value = {
      orderId: "o-1",
      shippingAddress: { streetName: "Main St", houseNumber: 5, geoPoint: { latDeg: 1.5, lonDeg: -2 } },
      lineItems: [
        { productSku: "BOOK-1", unitPrice: 12.5, tagNames: ["newRelease", "staffPick"] },
        { productSku: "MUG-2", unitPrice: 8, tagNames: [] },
      ],
      matrixRows: [[{ cellValue: 1 }], [{ cellValue: 2 }]],
      pricesBySku: { "BOOK-1": 12.5, "MUG-2": 8 },
      nothingHere: null,
      emptyObject: {},
    };
    const bytes = snake.encode(value, "s");
    const wire = JSON.parse(text(bytes)) as Record<string, unknown>;
    assert.deepEqual(wire, {
      order_id: "o-1",
      shipping_address: { street_name: "Main St", house_number: 5, geo_point: { lat_deg: 1.5, lon_deg: -2 } },
      line_items: [
        { product_sku: "BOOK-1", unit_price: 12.5, tag_names: ["newRelease", "staffPick"] },
        { product_sku: "MUG-2", unit_price: 8, tag_names: [] },
      ],
      matrix_rows: [[{ cell_value: 1 }], [{ cell_value: 2 }]],
      prices_by_sku: { "BOOK-1": 12.5, "MUG-2": 8 },
      nothing_here: null,
      empty_object: {},
    });
    assert.deepEqual(snake.decode(bytes, "s"), value, "decoding gives back the camelCase value");
  });

  test("Dates, byte arrays and toJSON values are values, not objects to walk; __proto__ stays data", () => {
    const at = new Date("2024-05-01T12:30:00.000Z");
    class Money {
      constructor(private readonly cents: number) {}
      toJSON() {
        return { amountCents: this.cents };
      }
    }
    const converted = convertKeys({ placedAt: at, rawBytes: new Uint8Array([1, 2]), totalPrice: new Money(150) }, toSnakeKey) as Record<string, unknown>;
    assert.equal(converted.placed_at, at);
    assert.deepEqual(converted.raw_bytes, new Uint8Array([1, 2]));
    assert.deepEqual(converted.total_price, { amount_cents: 150 });
    const hostile = snake.decode(new TextEncoder().encode('{"__proto__":{"polluted_key":1},"ok_key":2}'), "s") as Record<string, unknown>;
    assert.equal(({} as Record<string, unknown>).polluted_key, undefined);
    assert.equal(Object.getPrototypeOf(hostile), Object.prototype);
    assert.equal(hostile.okKey, 2);
  });

  test("top-level arrays and scalars, unicode keys and values", () => {
    assert.deepEqual(JSON.parse(text(snake.encode([{ firstName: "Zoë" }, { firstName: "東京" }], "s"))), [{ first_name: "Zoë" }, { first_name: "東京" }]);
    for (const scalar of ["text 🚀", 0, -1.5, true, null]) assert.deepEqual(snake.decode(snake.encode(scalar, "s"), "s"), scalar);
    const value = { cityName: "東京", moodEmoji: "🚀✨", quotedText: 'she said "hi"\n', nulChar: "\u0000", "键": "值" };
    assert.deepEqual(snake.decode(snake.encode(value, "s"), "s"), value);
  });

  test("a circular structure throws EB_ERR_ENCODE naming the subject, with the cause", () => {
    const loop: Record<string, unknown> = { selfRef: undefined };
    loop.selfRef = loop;
    assert.throws(() => snake.encode(loop, "loops.here"), (err: unknown) => hasCode(ErrorCodes.ENCODE, /loops\.here.*circular/)(err) && (err as Error).cause instanceof TypeError);
  });

  test("an unknown keys option is a configuration error", () => {
    assert.throws(() => new JsonCodec({ keys: "kebab-case" as never }), hasCode(ErrorCodes.CONFIG, /"keys" must be "snake_case"/));
  });
});

describe("dates: ISO 8601 strings on the wire, Dates where the contract says so", () => {
  test("encoded as ISO strings by every JSON codec", () => {
    const at = new Date("2024-02-29T23:59:59.123Z");
    assert.equal(text(new JsonCodec().encode({ at }, "s")), '{"at":"2024-02-29T23:59:59.123Z"}');
    assert.equal(text(snake.encode({ placedAt: at }, "s")), '{"placed_at":"2024-02-29T23:59:59.123Z"}');
  });

  test("revived at the declared paths only: top level, nested, in arrays, in arrays of arrays", () => {
    const paths = parseDatePaths("s", ["placedAt", "customer.since", "items[].shippedAt", "history[][].at"]);
    const value = reviveDates(
      {
        placedAt: "2024-05-01T12:30:00Z",
        customer: { since: "2020-01-01", name: "2024-05-01T12:30:00Z" },
        items: [{ shippedAt: "2024-05-02T08:00:00.000+02:00" }, { shippedAt: null }, {}],
        history: [[{ at: "2024-05-03T00:00:00Z" }], []],
        notADate: "2024-05-01T12:30:00Z",
      },
      paths,
    ) as Record<string, any>;
    assert.ok(value.placedAt instanceof Date && value.placedAt.toISOString() === "2024-05-01T12:30:00.000Z");
    assert.ok(value.customer.since instanceof Date, "a date without time");
    assert.equal(value.customer.name, "2024-05-01T12:30:00Z", "a string that looks like a date stays a string unless the contract says Date");
    assert.equal(value.items[0].shippedAt.toISOString(), "2024-05-02T06:00:00.000Z", "offsets are honoured");
    assert.equal(value.items[1].shippedAt, null);
    assert.ok(!("shippedAt" in value.items[2]), "missing properties are not created");
    assert.ok(value.history[0][0].at instanceof Date);
    assert.equal(value.notADate, "2024-05-01T12:30:00Z");
  });

  test("Python's isoformat() with microseconds and Go's RFC 3339 are read; non-ISO text stays a string for the schema to report", () => {
    const paths = parseDatePaths("s", ["a", "b", "c", "d"]);
    const value = reviveDates({ a: "2024-05-01T12:30:00.123456+00:00", b: "2024-05-01T12:30:00Z", c: "yesterday", d: "May 1, 2024" }, paths) as Record<string, unknown>;
    assert.equal((value.a as Date).toISOString(), "2024-05-01T12:30:00.123Z");
    assert.equal((value.b as Date).toISOString(), "2024-05-01T12:30:00.000Z");
    assert.equal(value.c, "yesterday");
    assert.equal(value.d, "May 1, 2024");
  });

  test("bad paths are EB_ERR_INVALID_CONTRACT naming the subject and the path", () => {
    for (const bad of ["", "a..b", ".a", "a.", "a[0]", "[]", 5]) {
      assert.throws(() => parseDatePaths("orders.x", [bad]), hasCode(ErrorCodes.INVALID_CONTRACT, /defineEvent\("orders\.x"\): option "dates"/));
    }
  });
});

describe("payload sizes", () => {
  test("a payload near 1 MiB round-trips through both JSON codecs and MessagePack", () => {
    const big = { blobText: "x".repeat(1_048_000), nestedList: Array.from({ length: 500 }, (_, i) => ({ itemIndex: i, itemName: `név ${i} 東京` })) };
    for (const codec of [new JsonCodec(), snake, new MessagePackCodec(), new MessagePackCodec({ keys: "snake_case" })] as Codec[]) {
      const bytes = codec.encode(big, "big");
      assert.ok(bytes.length > 1_048_000, `${codec.contentType}: ${bytes.length} bytes`);
      assert.deepEqual(codec.decode(bytes, "big"), big);
    }
  });
});

describe("MessagePackCodec (express-nats-events/msgpack, @msgpack/msgpack)", () => {
  const msgpack = new MessagePackCodec();

  test("round-trips nested values, unicode, binary and Dates; undefined is an empty payload", () => {
    const value = { id: "o-1", names: ["Zoë", "東京", "🚀"], nested: { deep: [1, -2.5, null, true] }, bytes: new Uint8Array([0, 255, 7]), at: new Date("2024-05-01T12:30:00.000Z") };
    const bytes = msgpack.encode(value, "s");
    assert.ok(bytes.length < JSON.stringify(value).length, "smaller than the JSON");
    assert.deepEqual(msgpack.decode(bytes, "s"), value);
    assert.equal(msgpack.encode(undefined, "s").length, 0);
    assert.equal(msgpack.decode(new Uint8Array(0), "s"), undefined);
    assert.equal(msgpack.contentType, MSGPACK_CONTENT_TYPE);
  });

  test("snake_case keys on the wire, as with JSON", () => {
    const codec = new MessagePackCodec({ keys: "snake_case" });
    const bytes = codec.encode({ orderId: "o-1", lineItems: [{ unitPrice: 1 }] }, "s");
    assert.deepEqual(msgpack.decode(bytes, "s"), { order_id: "o-1", line_items: [{ unit_price: 1 }] });
    assert.deepEqual(codec.decode(bytes, "s"), { orderId: "o-1", lineItems: [{ unitPrice: 1 }] });
  });

  test("bad bytes are EB_ERR_DECODE naming the subject and size; unencodable values EB_ERR_ENCODE", () => {
    assert.throws(() => msgpack.decode(Uint8Array.from([0xc1]), "in.bound"), hasCode(ErrorCodes.DECODE, /"in\.bound" is not valid MessagePack \(1 bytes\)/));
    assert.throws(() => msgpack.encode({ fn: Symbol("s") }, "out.bound"), hasCode(ErrorCodes.ENCODE, /"out\.bound" as MessagePack/));
  });
});

describe("Content-Type: which codec wrote a message", () => {
  const message = (headers: Record<string, string>) => ({ subject: "s", data: new Uint8Array(0), headers });

  test("no header means JSON; parameters and case are ignored; the header name matches case-insensitively", () => {
    assert.equal(contentTypeOf(message({})), "application/json");
    assert.equal(contentTypeOf(message({ "Content-Type": "Application/MsgPack; charset=binary" })), "application/msgpack");
    assert.equal(contentTypeOf(message({ "content-type": "application/msgpack" })), "application/msgpack");
    assert.equal(contentTypeOf({ ...message({ "Content-Type": "ignored" }), header: () => "application/x-protobuf" }), "application/x-protobuf", "a transport's header() wins");
    assert.equal(mediaType(" text/plain ;q=1"), "text/plain");
  });

  test("the default JSON codec writes no header; any other codec writes its content type", () => {
    const wire = new Wire(new JsonCodec());
    assert.equal(wire.headersFor(new JsonCodec(), undefined), undefined);
    assert.equal(wire.headersFor(snake, undefined), undefined, "snake_case JSON is still JSON");
    assert.deepEqual(wire.headersFor(new MessagePackCodec(), { a: "1" }), { a: "1", "Content-Type": "application/msgpack" });
  });

  test("a reader decodes its own codec's type and JSON; anything else is EB_ERR_UNSUPPORTED_CONTENT_TYPE naming subject, reader and types", () => {
    const subject = `${uniqueName("unit-ct")}.order`;
    const contract = defineEvent(subject, z.object({ orderId: z.string() }), { codec: new MessagePackCodec({ keys: "snake_case" }) });
    const wire = new Wire(new JsonCodec());
    const packed = { subject, data: new MessagePackCodec().encode({ order_id: "o-1" }, subject), headers: { "Content-Type": "application/msgpack" } };
    assert.deepEqual(wire.decode(contract, subject, packed, "L.m"), { orderId: "o-1" });
    const json = { subject, data: new TextEncoder().encode('{"orderId":"o-2"}'), headers: {} };
    assert.deepEqual(wire.decode(contract, subject, json, "L.m"), { orderId: "o-2" }, "headerless JSON from another service is still read");
    const xml = { subject, data: new TextEncoder().encode("<order/>"), headers: { "Content-Type": "application/xml" } };
    assert.throws(
      () => wire.decode(contract, subject, xml, "OrderListener.onOrder"),
      hasCode(ErrorCodes.UNSUPPORTED_CONTENT_TYPE, new RegExp(`"${subject.replace(/\./g, "\\.")}" has Content-Type "application/xml", but OrderListener\\.onOrder decodes only application/msgpack and application/json`)),
    );
    const plainBus = new Wire(new JsonCodec());
    assert.throws(() => plainBus.decode(undefined, "x.y", packed, "L.m"), hasCode(ErrorCodes.UNSUPPORTED_CONTENT_TYPE, /decodes only application\/json;/));
  });
});
