import "reflect-metadata";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { container, inject, injectable } from "tsyringe";
import { ErrorCodes, EventBus, EventBusError, EventPublisher, Listen, type Logger } from "../../src/index.js";
import { uniqueName } from "../helpers/unique.js";

// Guard: the whole DI story depends on the compiler emitting constructor parameter types.
// esbuild/tsx and TypeScript without emitDecoratorMetadata do not; this test fails loudly if the build changes.

@injectable()
class PriceList {
  priceOf(sku: string): number {
    return sku.length * 100;
  }
}

@injectable()
class Checkout {
  constructor(
    readonly prices: PriceList,
    readonly events: EventPublisher,
  ) {}
}

describe("decorator metadata (tsc output)", () => {
  test("tsc emitted design:paramtypes for an @injectable class", () => {
    const paramTypes = Reflect.getMetadata("design:paramtypes", Checkout) as unknown[] | undefined;
    assert.ok(Array.isArray(paramTypes), "design:paramtypes is missing: compile with tsc and emitDecoratorMetadata (esbuild does not emit it)");
    assert.deepEqual(paramTypes, [PriceList, EventPublisher]);
  });

  test("tsyringe injects constructor dependencies by type", () => {
    const child = container.createChildContainer();
    const checkout = child.resolve(Checkout);
    assert.ok(checkout.prices instanceof PriceList);
    assert.equal(checkout.prices.priceOf("abc"), 300);
    assert.ok(checkout.events instanceof EventPublisher);
  });

  test("EventBus is a singleton: every EventPublisher shares the one bus", () => {
    assert.equal(container.resolve(EventBus), container.resolve(EventBus));
  });

  test("bus.listen() fails with EB_ERR_LISTENER_RESOLVE naming the class when a dependency is not registered", async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), "nats-events-unit-"));
    const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
    const subject = `${uniqueName("needs-clock")}.tick`;
    @injectable()
    class NeedsClock {
      constructor(@inject("Clock") readonly clock: { now(): number }) {}
      @Listen(subject)
      tick(): void {}
    }
    const bus = new EventBus();
    try {
      await bus.connect({ transport: "memory", logger: silent, env: {}, cwd, container: container.createChildContainer() });
      await assert.rejects(bus.listen([NeedsClock]), (err: unknown) => {
        assert.ok(err instanceof EventBusError);
        assert.equal(err.code, ErrorCodes.LISTENER_RESOLVE);
        assert.match(err.message, /NeedsClock/);
        return true;
      });
      await assert.rejects(bus.request(subject, {}, { timeout: 500 }), (err: unknown) => err instanceof EventBusError && err.code === ErrorCodes.NO_RESPONDERS);
    } finally {
      await bus.close();
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
