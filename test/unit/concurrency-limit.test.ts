// The listener's concurrency limit on the dispatch hot path: synchronous tasks cost no promise,
// asynchronous ones are bounded and queued in arrival order, and a long queue of synchronous tasks
// behind a busy limit is worked off in a loop (not one nested call per task).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConcurrencyLimit } from "../../src/listeners/concurrency-limit.js";

describe("ConcurrencyLimit", () => {
  test("a task that finishes synchronously returns nothing and frees its slot at once", () => {
    const limit = new ConcurrencyLimit(1);
    let ran = 0;
    assert.equal(limit.run(() => void ran++, undefined), undefined);
    assert.equal(limit.run(() => void ran++, undefined), undefined);
    assert.equal(ran, 2);
    assert.equal(limit.size, 0);
  });

  test("asynchronous tasks beyond the limit wait, then run in arrival order", async () => {
    const limit = new ConcurrencyLimit(2);
    const order: string[] = [];
    const release: Array<() => void> = [];
    const slow = (name: string) => () =>
      new Promise<void>((resolve) => {
        order.push(`start ${name}`);
        release.push(() => {
          order.push(`end ${name}`);
          resolve();
        });
      });
    const all = [limit.run(slow("a"), undefined), limit.run(slow("b"), undefined), limit.run(slow("c"), undefined), limit.run(() => void order.push("sync d"), undefined)];
    assert.deepEqual(order, ["start a", "start b"]);
    assert.equal(limit.size, 4);
    release.shift()!();
    await all[0];
    await Promise.resolve();
    assert.deepEqual(order, ["start a", "start b", "end a", "start c"]);
    release.shift()!();
    release.shift()!();
    await Promise.all(all);
    assert.deepEqual(order, ["start a", "start b", "end a", "start c", "end b", "end c", "sync d"]);
    await limit.idle();
    assert.equal(limit.size, 0);
  });

  test("100,000 synchronous tasks queued behind a busy slot run without overflowing the stack", async () => {
    const limit = new ConcurrencyLimit(1);
    let release!: () => void;
    const busy = limit.run(() => new Promise<void>((resolve) => (release = resolve)), undefined);
    let ran = 0;
    const queued = Array.from({ length: 100_000 }, () => limit.run(() => void ran++, undefined));
    assert.equal(ran, 0);
    release();
    await busy;
    await Promise.all(queued);
    assert.equal(ran, 100_000);
    await limit.idle();
  });

  test("idle() waits for the tasks running and queued", async () => {
    const limit = new ConcurrencyLimit(1);
    let release!: () => void;
    void limit.run(() => new Promise<void>((resolve) => (release = resolve)), undefined);
    let idle = false;
    const waiting = limit.idle().then(() => (idle = true));
    await Promise.resolve();
    assert.equal(idle, false);
    release();
    await waiting;
    assert.equal(idle, true);
  });
});
