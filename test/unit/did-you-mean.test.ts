import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { nearestName } from "../../src/did-you-mean.js";

describe("nearestName", () => {
  const known = ["servers", "transport", "requestTimeoutMs", "retry.maxDeliver", "name"];

  test("typos, transpositions and case slips find the known name", () => {
    assert.equal(nearestName("servres", known), "servers");
    assert.equal(nearestName("tranport", known), "transport");
    assert.equal(nearestName("requestTimeoutMS", known), "requestTimeoutMs");
    assert.equal(nearestName("retry.maxDelivery", known), "retry.maxDeliver");
  });

  test("nothing is suggested when no name is close (short names need a closer match)", () => {
    assert.equal(nearestName("colour", known), undefined);
    assert.equal(nearestName("nm", known), undefined);
    assert.equal(nearestName("x", []), undefined);
  });
});
