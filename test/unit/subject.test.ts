import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ErrorCodes, EventBusError } from "../../src/index.js";
import { assertPublishSubject, queueGroupProblem, subjectMatches, subjectProblem } from "../../src/subject.js";

describe("subject syntax", () => {
  test("valid subjects have no problem; wildcards only where allowed", () => {
    for (const subject of ["orders", "orders.created", "a.b.c.d", "orders-v2.created_at", "ünïcode.✓"]) {
      assert.equal(subjectProblem(subject, false), undefined, subject);
      assert.equal(subjectProblem(subject, true), undefined, subject);
    }
    for (const pattern of ["orders.*", "*.created", "orders.>", ">", "*", "a.*.c.>"]) {
      assert.equal(subjectProblem(pattern, true), undefined, pattern);
      assert.match(subjectProblem(pattern, false) ?? "", /wildcards/, pattern);
    }
  });

  test("invalid subjects are described", () => {
    const cases: Array<[unknown, RegExp]> = [
      ["", /empty/],
      ["a..b", /empty token at position 2/],
      [".a", /empty token at position 1/],
      ["a.", /empty token at position 2/],
      ["a b", /whitespace/],
      ["a\tb", /whitespace/],
      ["a.>.b", /only allowed as the last token/],
      ["a.b*", /mixes a wildcard/],
      ["a.>b", /mixes a wildcard/],
      [42, /must be a string/],
    ];
    for (const [subject, problem] of cases) assert.match(subjectProblem(subject, true) ?? "(none)", problem, JSON.stringify(subject));
  });

  test("assertPublishSubject throws EB_ERR_INVALID_SUBJECT with the subject and the reason", () => {
    assert.doesNotThrow(() => assertPublishSubject("orders.created"));
    for (const subject of ["", "a..b", "orders.*", "orders.>", "a b"]) {
      assert.throws(
        () => assertPublishSubject(subject),
        (err: unknown) => err instanceof EventBusError && err.code === ErrorCodes.INVALID_SUBJECT && err.message.includes(JSON.stringify(subject)),
        JSON.stringify(subject),
      );
    }
  });

  test("queue group names: non-empty, no whitespace", () => {
    assert.equal(queueGroupProblem("billing-workers.v2"), undefined);
    assert.match(queueGroupProblem("") ?? "", /empty/);
    assert.match(queueGroupProblem("my group") ?? "", /whitespace/);
    assert.match(queueGroupProblem(7) ?? "", /string/);
  });

  test("subjectMatches follows NATS wildcard rules", () => {
    const table: Array<[pattern: string, subject: string, matches: boolean]> = [
      ["orders.created", "orders.created", true],
      ["orders.created", "orders.updated", false],
      ["orders.created", "orders.created.eu", false],
      ["orders.*", "orders.created", true],
      ["orders.*", "orders", false],
      ["orders.*", "orders.created.eu", false],
      ["*.created", "orders.created", true],
      ["*.created", "orders.updated", false],
      ["orders.*.eu", "orders.created.eu", true],
      ["orders.*.eu", "orders.created.us", false],
      ["orders.>", "orders.created", true],
      ["orders.>", "orders.created.eu.paris", true],
      ["orders.>", "orders", false],
      ["orders.>", "ordersx.created", false],
      [">", "anything", true],
      [">", "any.thing.at.all", true],
      ["*", "one", true],
      ["*", "one.two", false],
      ["*.*", "one.two", true],
      ["a.*.>", "a.b", false],
      ["a.*.>", "a.b.c", true],
    ];
    for (const [pattern, subject, expected] of table) {
      assert.equal(subjectMatches(pattern, subject), expected, `${pattern} vs ${subject}`);
    }
  });
});
