/**
 * The embedded single-process mode: the memory transport, the tsyringe
 * singleton EventBus, EventPublisher from the container, and listener classes
 * written exactly as a user would (module-level, @injectable, @Listen, a
 * @singleton service injected by constructor). No NATS server is involved.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { container, injectable, singleton } from "tsyringe";
import { ErrorCodes, EventBus, EventPublisher, Listen, RemoteError, type MessageContext } from "../../src/index.js";
import { Collector, uniqueName } from "../helpers/unique.js";
import { removeDir, silentLogger, tempCwd } from "./support.js";

const WAIT_MS = 5_000;
const APP = uniqueName("embedded");
const SUBJECTS = {
  orderCreated: `${APP}.orders.created`,
  quote: `${APP}.orders.quote`,
  ship: `${APP}.orders.ship`,
  barrier: `${APP}.barrier`,
};
const SHIPPING_GROUP = `${APP}-shipping`;

interface OrderCreated {
  readonly id: string;
  readonly items: readonly string[];
}

interface QuoteRequest {
  readonly items: readonly string[];
}

/** A service with state: one instance per process (tsyringe @singleton). */
@singleton()
class PriceBook {
  readonly #prices = new Map([
    ["apple", 3],
    ["pear", 4],
  ]);

  total(items: readonly string[]): number {
    return items.reduce((sum, item) => {
      const price = this.#prices.get(item);
      if (price === undefined) throw Object.assign(new Error(`no price for "${item}"`), { code: "UNKNOWN_ITEM" });
      return sum + price;
    }, 0);
  }
}

@singleton()
class AuditLog {
  readonly entries = new Collector<{ id: string; total: number; subject: string }>();
}

@injectable()
class OrderListeners {
  constructor(
    private readonly prices: PriceBook,
    private readonly audit: AuditLog,
  ) {}

  @Listen(SUBJECTS.orderCreated)
  onOrderCreated(order: OrderCreated, ctx: MessageContext): void {
    this.audit.entries.push({ id: order.id, total: this.prices.total(order.items), subject: ctx.subject });
  }

  @Listen(SUBJECTS.quote)
  quote(request: QuoteRequest): { total: number } {
    return { total: this.prices.total(request.items) };
  }

  /** Request-reply through the same memory broker, used to know every earlier delivery has run. */
  @Listen(SUBJECTS.barrier)
  barrier(): string {
    return "ok";
  }
}

const shipped = new Collector<{ worker: "A" | "B"; id: number }>();

@injectable()
class ShippingWorkerA {
  @Listen(SUBJECTS.ship, SHIPPING_GROUP)
  ship(data: { id: number }): void {
    shipped.push({ worker: "A", id: data.id });
  }
}

@injectable()
class ShippingWorkerB {
  @Listen(SUBJECTS.ship, SHIPPING_GROUP)
  ship(data: { id: number }): void {
    shipped.push({ worker: "B", id: data.id });
  }
}

describe("embedded mode: memory transport, one process, listener classes as a user writes them", () => {
  let cwd: string;
  let bus: EventBus;
  let events: EventPublisher;

  before(async () => {
    cwd = await tempCwd("embedded");
    bus = container.resolve(EventBus);
    await bus.connect({ transport: "memory", env: {}, cwd, logger: silentLogger });
    const subscribed = await bus.listen([OrderListeners, ShippingWorkerA, ShippingWorkerB]);
    assert.deepEqual(
      subscribed.map((spec) => spec.id).sort(),
      ["OrderListeners.barrier", "OrderListeners.onOrderCreated", "OrderListeners.quote", "ShippingWorkerA.ship", "ShippingWorkerB.ship"],
    );
    events = container.resolve(EventPublisher);
  });

  after(async () => {
    await bus?.drain();
    await removeDir(cwd);
  });

  test("the bus is the tsyringe singleton and uses the memory transport", () => {
    assert.equal(container.resolve(EventBus), bus);
    assert.equal(bus.transportName, "memory");
    assert.equal(bus.status, "connected");
  });

  test("publish → @Listen handler whose constructor got the @singleton services injected", { timeout: 30_000 }, async () => {
    const audit = container.resolve(AuditLog);
    await events.publish(SUBJECTS.orderCreated, { id: "o-1", items: ["apple", "pear", "apple"] } satisfies OrderCreated);
    const [entry] = await audit.entries.waitForCount(1, WAIT_MS, "the order-created handler to write to the injected AuditLog");
    // Arriving in the instance the test resolved proves the listener got the same singleton, not a copy.
    assert.deepEqual(entry, { id: "o-1", total: 10, subject: SUBJECTS.orderCreated });
  });

  test("request-reply: the handler's return value is the reply; a throwing handler becomes a RemoteError", { timeout: 30_000 }, async () => {
    const reply = await events.request<{ total: number }>(SUBJECTS.quote, { items: ["pear", "pear"] } satisfies QuoteRequest, { timeout: WAIT_MS });
    assert.deepEqual(reply, { total: 8 });

    await assert.rejects(events.request(SUBJECTS.quote, { items: ["durian"] }, { timeout: WAIT_MS }), (err: unknown) => {
      assert.ok(err instanceof RemoteError, `expected a RemoteError, got ${String(err)}`);
      assert.equal(err.code, ErrorCodes.REMOTE);
      assert.equal(err.remoteCode, "UNKNOWN_ITEM");
      assert.match(err.remoteMessage, /no price for "durian"/);
      return true;
    });
  });

  test("a request nobody listens to fails at once with EB_ERR_NO_RESPONDERS", { timeout: 30_000 }, async () => {
    await assert.rejects(events.request(`${APP}.nobody`, {}, { timeout: WAIT_MS }), { code: ErrorCodes.NO_RESPONDERS });
  });

  test("queue group across two @Listen classes: each message is handled exactly once, and both members take a share", { timeout: 30_000 }, async () => {
    const count = 20;
    for (let id = 0; id < count; id++) await events.publish(SUBJECTS.ship, { id });
    await shipped.waitForCount(count, WAIT_MS, "shipments handled by the group");
    // Every delivery was scheduled when it was published; a reply on the same broker comes after all of them.
    assert.equal(await events.request(SUBJECTS.barrier, {}, { timeout: WAIT_MS }), "ok");

    const ids = shipped.items.map((item) => item.id).sort((a, b) => a - b);
    assert.deepEqual(ids, Array.from({ length: count }, (_, id) => id), `each message once: ${JSON.stringify(shipped.items)}`);
    const byWorker = { A: shipped.items.filter((i) => i.worker === "A").length, B: shipped.items.filter((i) => i.worker === "B").length };
    assert.ok(byWorker.A > 0 && byWorker.B > 0, `both members of the group must get messages: ${JSON.stringify(byWorker)}`);
  });
});
