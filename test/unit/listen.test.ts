import "reflect-metadata";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { injectable } from "tsyringe";
import { ErrorCodes, EventBus, Listen, listenerRegistry, type ListenOptions, type Logger } from "../../src/index.js";
import { uniqueName } from "../helpers/unique.js";
import { errorWithCode as rejects } from "../helpers/assertions.js";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };


describe("@Listen validates at decoration time", () => {
  for (const subject of ["", "orders..created", "orders created", "orders.>.eu", "orders.created.", " orders", "orders.cre*"]) {
    test(`subject ${JSON.stringify(subject)} is rejected with EB_ERR_INVALID_SUBJECT naming Class.method`, () => {
      assert.throws(() => {
        class OrderListener {
          @Listen(subject)
          onOrder(): void {}
        }
        return OrderListener;
      }, rejects(ErrorCodes.INVALID_SUBJECT, "OrderListener.onOrder", JSON.stringify(subject)));
    });
  }

  test("a queue group with whitespace (or empty) is rejected with EB_ERR_INVALID_SUBJECT", () => {
    for (const group of ["billing workers", "", "tab\tgroup"]) {
      assert.throws(() => {
        class BillingListener {
          @Listen("orders.created", group)
          bill(): void {}
        }
        return BillingListener;
      }, rejects(ErrorCodes.INVALID_SUBJECT, "BillingListener.bill", "queue group", JSON.stringify(group)));
    }
  });

  test("the same subject and queue group twice on one method is EB_ERR_DUPLICATE_LISTENER", () => {
    const subject = `${uniqueName("dup")}.created`;
    assert.throws(() => {
      class Twice {
        @Listen(subject, "workers")
        @Listen(subject, "workers")
        handle(): void {}
      }
      return Twice;
    }, rejects(ErrorCodes.DUPLICATE_LISTENER, "Twice.handle", subject, "workers"));
    assert.throws(() => {
      class TwiceNoGroup {
        @Listen(subject)
        @Listen(subject)
        handle(): void {}
      }
      return TwiceNoGroup;
    }, rejects(ErrorCodes.DUPLICATE_LISTENER, "TwiceNoGroup.handle"));
  });

  test("the same subject with different queue groups on one method is allowed (two groups, two deliveries)", () => {
    const subject = `${uniqueName("two-groups")}.created`;
    class TwoGroups {
      @Listen(subject, "audit")
      @Listen(subject, "billing")
      handle(): void {}
    }
    assert.deepEqual(
      listenerRegistry.of(TwoGroups).map((spec) => spec.queueGroup),
      ["billing", "audit"], // decorators apply bottom-up
    );
  });

  test("unknown options and bad concurrency are EB_ERR_INVALID_LISTENER", () => {
    assert.throws(() => {
      class Typo {
        @Listen("orders.created", undefined, { concurency: 5 } as unknown as ListenOptions)
        handle(): void {}
      }
      return Typo;
    }, rejects(ErrorCodes.INVALID_LISTENER, "Typo.handle", '"concurency"', "concurrency"));
    for (const concurrency of [0, -1, 1.5, Number.NaN, "4" as unknown as number]) {
      assert.throws(() => {
        class BadConcurrency {
          @Listen("orders.created", undefined, { concurrency })
          handle(): void {}
        }
        return BadConcurrency;
      }, rejects(ErrorCodes.INVALID_LISTENER, "BadConcurrency.handle", "concurrency"), `concurrency ${String(concurrency)}`);
    }
  });

  test("exclusive: true needs a queue group and a durable listener, handles one message at a time, and takes an exclusiveTimeoutMs >= 5000; each mistake is EB_ERR_INVALID_LISTENER naming the listener", () => {
    const cases: Array<[string | undefined, ListenOptions, string]> = [
      [undefined, { exclusive: true }, "needs a queue group"],
      ["billing", { exclusive: true, durable: false }, "needs a durable JetStream listener"],
      ["billing", { exclusive: true, concurrency: 4 }, "remove concurrency: 4"],
      ["billing", { exclusiveTimeoutMs: 20_000 }, '"exclusiveTimeoutMs" applies only with exclusive: true'],
      ["billing", { exclusive: true, exclusiveTimeoutMs: 1_000 }, "must be an integer >= 5000"],
      ["billing", { exclusive: "yes" as unknown as boolean }, "must be true or false"],
    ];
    for (const [group, options, problem] of cases) {
      assert.throws(() => {
        class Ledger {
          @Listen("payments.settled", group, options)
          post(): void {}
        }
        return Ledger;
      }, rejects(ErrorCodes.INVALID_LISTENER, "Ledger.post", problem), JSON.stringify(options));
    }
    class Accepted {
      @Listen(`${uniqueName("exclusive")}.settled`, "billing", { exclusive: true, concurrency: 1, exclusiveTimeoutMs: 5_000 })
      post(): void {}
    }
    assert.deepEqual(listenerRegistry.of(Accepted)[0]!.options, { exclusive: true, concurrency: 1, exclusiveTimeoutMs: 5_000 });
  });

  test("an exclusive listener on a transport that cannot have one (memory) fails listen() with EB_ERR_INVALID_LISTENER naming it and the transport", async () => {
    class OnlyOne {
      @Listen(`${uniqueName("exclusive")}.settled`, "billing", { exclusive: true })
      post(): void {}
    }
    const cwd = await mkdtemp(path.join(os.tmpdir(), "listen-exclusive-")); // no config file to pick up
    const bus = new EventBus();
    await bus.connect({ transport: "memory", logger: silent, env: {}, cwd });
    try {
      await assert.rejects(bus.listen([OnlyOne]), rejects(ErrorCodes.INVALID_LISTENER, "OnlyOne.post", "exclusive: true", '"memory" transport'));
    } finally {
      await bus.close();
      await rm(cwd, { recursive: true, force: true });
    }
  });

  test("@Listen on a static method is EB_ERR_INVALID_LISTENER naming the class", () => {
    assert.throws(() => {
      class StaticHandler {
        @Listen("orders.created")
        static handle(): void {}
      }
      return StaticHandler;
    }, rejects(ErrorCodes.INVALID_LISTENER, "StaticHandler.handle", "static"));
  });

  test("@Listen on a property (possible from JavaScript) is EB_ERR_INVALID_LISTENER, not a TypeError", () => {
    class NotAMethod {}
    const decorate = Listen("orders.created") as unknown as (target: object, key: string) => void;
    assert.throws(() => decorate(NotAMethod.prototype, "handler"), rejects(ErrorCodes.INVALID_LISTENER, "NotAMethod.handler", "must decorate a method"));
  });
});

describe("listener registry", () => {
  test("several @Listen on one class are recorded in declaration order with their ids and options", () => {
    const base = uniqueName("registry");
    class Inventory {
      @Listen(`${base}.reserved`, "inventory")
      reserve(): void {}
      @Listen(`${base}.*`, undefined, { concurrency: 3 })
      any(): void {}
      @Listen(`${base}.>`)
      all(): void {}
    }
    const specs = listenerRegistry.of(Inventory);
    assert.deepEqual(
      specs.map(({ target, method, subject, queueGroup, options, id }) => ({ target, method, subject, queueGroup, options, id })),
      [
        { target: Inventory, method: "reserve", subject: `${base}.reserved`, queueGroup: "inventory", options: {}, id: "Inventory.reserve" },
        { target: Inventory, method: "any", subject: `${base}.*`, queueGroup: undefined, options: { concurrency: 3 }, id: "Inventory.any" },
        { target: Inventory, method: "all", subject: `${base}.>`, queueGroup: undefined, options: {}, id: "Inventory.all" },
      ],
    );
    assert.deepEqual(listenerRegistry.all([Inventory]), specs);
    assert.ok(listenerRegistry.all().length >= 3, "all() includes every recorded class");
    assert.ok(specs.every((spec) => listenerRegistry.all().includes(spec)));
  });

  test("the recorded options are a copy: changing the object passed to @Listen later changes nothing", () => {
    const options: ListenOptions = { concurrency: 2 };
    class Copied {
      @Listen(`${uniqueName("copy")}.x`, undefined, options)
      handle(): void {}
    }
    options.concurrency = 50;
    assert.deepEqual(listenerRegistry.of(Copied)[0]!.options, { concurrency: 2 });
  });

  describe("nothing subscribes as a side effect of decorating", () => {
    let cwd: string;
    before(async () => {
      cwd = await mkdtemp(path.join(os.tmpdir(), "nats-events-unit-"));
    });
    after(async () => {
      await rm(cwd, { recursive: true, force: true });
    });

    test("a decorated class answers requests only after bus.listen()", async () => {
      const subject = `${uniqueName("lazy")}.ping`;
      @injectable()
      class Pinger {
        @Listen(subject)
        ping(data: unknown): unknown {
          return { pong: data };
        }
      }
      const bus = new EventBus();
      await bus.connect({ transport: "memory", logger: silent, env: {}, cwd });
      try {
        await assert.rejects(bus.request(subject, 1, { timeout: 1_000 }), rejects(ErrorCodes.NO_RESPONDERS));
        const subscribed = await bus.listen([Pinger]);
        assert.deepEqual(subscribed.map((spec) => spec.id), ["Pinger.ping"]);
        assert.deepEqual(await bus.request(subject, 1, { timeout: 1_000 }), { pong: 1 });
      } finally {
        await bus.close();
      }
    });
  });
});
