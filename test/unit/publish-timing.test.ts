// The publish options delayMs, at and ttlMs: a bad value, both delays, or a transport that
// stores nothing is a PublishOptionError naming the option and the subject, thrown before
// anything is sent; a stream option of the wrong type is EB_ERR_CONFIG. (What JetStream and the
// testing kit do with good values: test/integration/delayed-publish, test/testing/test-bus.)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ErrorCodes, EventBus, PublishOptionError, type PublishOptions } from "../../src/index.js";
import { errorWithCode } from "../helpers/assertions.js";
import { removeDir, silentLogger, tempCwd } from "../integration/support.js";

let cwd: string | undefined;
const bus = new EventBus();
const seen: string[] = [];
before(async () => {
  cwd = await tempCwd("publish-timing");
  await bus.connect({ transport: "memory", logger: silentLogger, env: {}, cwd, metrics: false, observers: [{ published: (subject) => void seen.push(subject) }] });
});
after(async () => {
  await bus.close();
  await removeDir(cwd);
});

const refused = (option: string, ...mentions: string[]) => (err: unknown) => {
  assert.ok(err instanceof PublishOptionError, String(err));
  assert.equal(err.option, option);
  assert.equal(err.subject, "reminder.due");
  return errorWithCode(ErrorCodes.PUBLISH_OPTION, `publish to "reminder.due": option "${option}"`, ...mentions)(err);
};

const cases: Array<[string, PublishOptions, string, string[]]> = [
  ["a negative delay", { delayMs: -1 }, "delayMs", [">= 0", "got -1"]],
  ["a fractional delay", { delayMs: 1.5 }, "delayMs", ["whole number", "got 1.5"]],
  ["a delay no Date can hold", { delayMs: Number.MAX_SAFE_INTEGER }, "delayMs", ["within the range of a Date"]],
  ["a delay that is not a number", { delayMs: "1000" as unknown as number }, "delayMs", [`got "1000"`]],
  ["both delayMs and at", { delayMs: 1_000, at: new Date() } as unknown as PublishOptions, "delayMs", [`together with option "at"`]],
  ["an Invalid Date", { at: new Date("tomorrow-ish") }, "at", ["an Invalid Date"]],
  ["a time that is not a Date", { at: "2030-01-01T00:00:00Z" as unknown as Date }, "at", ["valid Date", `got "2030-01-01T00:00:00Z"`]],
  ["a TTL under one second", { ttlMs: 500 }, "ttlMs", ["1000 or more", "whole seconds", "got 500"]],
  ["a TTL that is not whole seconds", { ttlMs: 1_500 }, "ttlMs", ["got 1500"]],
  ["a zero TTL", { ttlMs: 0 }, "ttlMs", ["got 0"]],
];
for (const [what, options, option, mentions] of cases) {
  test(`${what}: PublishOptionError naming "${option}" and the subject; nothing sent`, async () => {
    const before = seen.length;
    await assert.rejects(bus.publish("reminder.due", { id: 1 }, options), refused(option, ...mentions));
    assert.equal(seen.length, before);
  });
}

test("good values on a transport that stores nothing (the in-process memory transport): refused, naming the transport and what to use", async () => {
  const before = seen.length;
  await bus.publish("reminder.due", 1);
  assert.equal(seen.length, before + 1, "the observer sees a publish (so the checks above saw none)");
  await assert.rejects(bus.publish("reminder.due", 1, { delayMs: 1_000 }), refused("delayMs", `transport "memory" stores nothing`, `transport "jetstream"`, "allowSchedules", "createTestBus()"));
  await assert.rejects(bus.publish("reminder.due", 1, { at: new Date(Date.now() + 1_000) }), refused("at", "stores nothing"));
  await assert.rejects(bus.publish("reminder.due", 1, { ttlMs: 2_000 }), refused("ttlMs", "stores nothing", "allowMessageTtl"));
  await assert.rejects(bus.publishAll([{ subject: "reminder.due", data: 1, options: { delayMs: 5 } }]), errorWithCode(ErrorCodes.PUBLISH_OPTION, "message #0", "delayMs"));
});

test("stream options allowSchedules / allowMessageTtl must be true or false", async () => {
  for (const flag of ["allowSchedules", "allowMessageTtl"]) {
    const other = new EventBus();
    await assert.rejects(
      other.connect({ transport: "memory", logger: silentLogger, env: {}, cwd, metrics: false, streams: [{ name: "ORDERS", subjects: ["order.>"], [flag]: "yes" }] }),
      errorWithCode(ErrorCodes.CONFIG, `stream "ORDERS": "${flag}" must be true or false`),
    );
  }
});
