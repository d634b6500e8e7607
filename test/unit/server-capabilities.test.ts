import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseUntil } from "../../src/cli/pause.js";
import { ErrorCodes, SERVER_FEATURES, ServerVersionError, serverSupports } from "../../src/index.js";
import { termTakesReason } from "../../src/transport/jetstream/jetstream-delivery.js";
import { parseServerVersion, requireServerFeature } from "../../src/transport/server-capabilities.js";
import { errorWithCode } from "../helpers/assertions.js";

describe("server capabilities by version", () => {
  test("versions compare by major, minor, patch; a pre-release counts as its release; unreadable is too old", () => {
    assert.deepEqual(parseServerVersion("2.15.1"), [2, 15, 1]);
    assert.deepEqual(parseServerVersion("v2.12.0-RC.1"), [2, 12, 0]);
    assert.equal(parseServerVersion("latest"), undefined);
    for (const version of ["2.11.0", "2.11.4", "2.15.1", "3.0.0", "2.12.0-RC.1"]) assert.equal(serverSupports("consumer pause", version), true, version);
    for (const version of ["2.9.10", "2.10.29", "2.10.99", "1.40.0", "", undefined]) assert.equal(serverSupports("consumer pause", version), false, String(version));
  });

  test("a feature the server is too old for is a ServerVersionError naming the feature, the version it needs and the one found", () => {
    assert.throws(
      () => requireServerFeature("consumer pause", "2.9.10"),
      errorWithCode(ErrorCodes.SERVER_VERSION, "consumer pause needs nats-server 2.11.0 or later; the connected server is nats-server 2.9.10"),
    );
    try {
      requireServerFeature("consumer pause", undefined);
      assert.fail("an unknown version must not pass");
    } catch (err) {
      assert.ok(err instanceof ServerVersionError);
      assert.deepEqual([err.feature, err.required, err.found], ["consumer pause", SERVER_FEATURES["consumer pause"], undefined]);
      assert.match(err.message, /of unknown version/);
    }
    assert.doesNotThrow(() => requireServerFeature("consumer pause", "2.15.1"));
  });

  test("the degrading +TERM reason agrees with the capabilities table (so the pump can later ask it)", () => {
    for (const version of ["2.9.10", "2.10.29", "2.11.0", "2.15.1", "3.0.0", undefined]) {
      assert.equal(serverSupports("term with reason", version), termTakesReason(version), String(version));
    }
  });
});

describe("pause --until", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  test("takes a duration from now or an ISO time in the future", () => {
    assert.equal(parseUntil("90s", now).toISOString(), "2026-12-01T12:01:30.000Z");
    assert.equal(parseUntil("15m", now).toISOString(), "2026-12-01T12:15:00.000Z");
    assert.equal(parseUntil("2h", now).toISOString(), "2026-12-01T14:00:00.000Z");
    assert.equal(parseUntil("1d", now).toISOString(), "2026-12-02T12:00:00.000Z");
    assert.equal(parseUntil("2026-12-24T18:00:00Z", now).toISOString(), "2026-12-24T18:00:00.000Z");
  });

  test("refuses what is not a time, and a time that has passed, saying which", () => {
    assert.throws(() => parseUntil("tomorrow", now), errorWithCode(ErrorCodes.CONFIG, '--until "tomorrow" is neither an ISO 8601 time', "90s, 15m, 2h, 1d"));
    assert.throws(() => parseUntil("5 minutes", now), errorWithCode(ErrorCodes.CONFIG, '--until "5 minutes"'));
    assert.throws(() => parseUntil("2026-11-30T00:00:00Z", now), errorWithCode(ErrorCodes.CONFIG, "has passed", "nats-events resume"));
    assert.throws(() => parseUntil("0s", now), errorWithCode(ErrorCodes.CONFIG, "has passed"));
  });
});
