import "reflect-metadata";
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test, type TestContext } from "node:test";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import { injectable } from "tsyringe";
import {
  DeadLetterHeaders,
  ErrorCodes,
  EventBus,
  Listen,
  RemoteError,
  type BusStatus,
  type ConnectOptions,
  type Logger,
  type MessageContext,
  type MessageHeaders,
  type TransportFeatures,
} from "../../src/index.js";
import { Collector, uniqueName, waitFor } from "../helpers/unique.js";
import { errorWithCode as isCode } from "../helpers/assertions.js";

/** What the suite checks differently per transport, on top of what the transport itself declares. */
export interface ConformanceFeatures extends TransportFeatures {
  /** Statuses a bus reports from connect() to close(), in order. */
  readonly statusLifecycle: readonly BusStatus[];
  /** Durable listeners may use `*` and `>` (default true; NATS Streaming channels have no wildcards). */
  readonly wildcards?: boolean;
}

/** A message seen below the EventBus (no codec, no runner). */
export interface RawMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MessageHeaders;
}

/** A transport-level client, to send bytes the codec would never produce and to watch subjects without the runner. */
export interface RawClient {
  publish(subject: string, data: Uint8Array, headers?: MessageHeaders): Promise<void>;
  /** Resolves once the subscription is active. */
  subscribe(subject: string, onMessage: (message: RawMessage) => void): Promise<void>;
  close(): Promise<void>;
}

export interface ConformanceSetup {
  /**
   * Options for `bus.connect()`: transport, servers, a silent logger, `env: {}` and a `cwd` without config file
   * (plus, on transports that redeliver, a fast `retry` policy so the dead-letter test finishes quickly).
   */
  connectOptions(): ConnectOptions;
  /** A unique subject for published events (default uniqueName): on JetStream one a test stream captures. */
  eventSubject?(prefix: string): string;
  /** A unique subject for request-reply (default uniqueName): on JetStream one no stream captures. */
  requestSubject?(prefix: string): string;
  rawClient(): Promise<RawClient>;
  readonly features: ConformanceFeatures;
  teardown(): Promise<void>;
}

/** A plain nats.js connection: what another service (or another language) would use. */
export async function natsRawClient(url: string): Promise<RawClient> {
  const connection = await connect({ servers: url, name: "conformance-raw-client" });
  return {
    async publish(subject: string, data: Uint8Array, headers?: MessageHeaders) {
      let h;
      if (headers) {
        h = natsHeaders();
        for (const [key, value] of Object.entries(headers)) h.set(key, value);
      }
      connection.publish(subject, data, h ? { headers: h } : undefined);
    },
    async subscribe(subject: string, onMessage: (message: RawMessage) => void) {
      connection.subscribe(subject, {
        callback: (err, msg) => {
          if (err) return;
          const headers: Record<string, string> = {};
          for (const key of msg.headers?.keys() ?? []) headers[key] = msg.headers!.get(key);
          onMessage({ subject: msg.subject, data: msg.data, headers });
        },
      });
      await connection.flush();
    },
    close: () => connection.close(),
  };
}

/** Discards everything: the suite asserts on behaviour, not on log lines. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const WAIT_MS = 5_000;
const TEST_OPTIONS = { timeout: 30_000 };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Handler = (data: unknown, ctx: MessageContext) => unknown;

/**
 * A listener class for one subject. Decorators take literal subjects, so each
 * test builds its classes here with its own unique subject.
 */
function listenerFor(subject: string, queueGroup: string | undefined, handler: Handler, options?: { concurrency?: number; durable?: boolean }) {
  @injectable()
  class Recorder {
    @Listen(subject, queueGroup, options)
    handle(data: unknown, ctx: MessageContext): unknown {
      return handler(data, ctx);
    }
  }
  return Recorder;
}

/** One listener class on `subject` that pushes each decoded payload to `onData`. */
export function listenerClassFor(subject: string, onData: (data: unknown) => void) {
  return listenerFor(subject, undefined, (data) => onData(data));
}

/** A listener class that also tells which instance (one per bus) handled each message. */
function memberListenerFor(subject: string, queueGroup: string, onMessage: (member: number, data: unknown) => void) {
  let members = 0;
  @injectable()
  class GroupMember {
    readonly member = ++members;
    @Listen(subject, queueGroup)
    handle(data: unknown): void {
      onMessage(this.member, data);
    }
  }
  return GroupMember;
}

interface Seen {
  readonly data: unknown;
  readonly ctx: MessageContext;
}


/**
 * The behaviour every transport must show through the EventBus API. Run it
 * once per transport; `setup` starts whatever the transport needs (a server)
 * and says, through `features`, where its behaviour legitimately differs.
 */
export function runTransportConformance(name: string, setup: () => Promise<ConformanceSetup>): void {
  describe(`transport conformance: ${name}`, () => {
    let env: ConformanceSetup;
    let buses: EventBus[] = [];
    let clients: RawClient[] = [];

    const makeBus = async (): Promise<EventBus> => {
      const bus = new EventBus();
      buses.push(bus);
      await bus.connect(env.connectOptions());
      return bus;
    };
    const rawClient = async (): Promise<RawClient> => {
      const client = await env.rawClient();
      clients.push(client);
      return client;
    };
    const eventSubject = (prefix: string): string => env.eventSubject?.(prefix) ?? uniqueName(prefix);
    const requestSubject = (prefix: string): string => env.requestSubject?.(prefix) ?? uniqueName(prefix);
    // Request-reply responders: a plain subscription even on a durable transport (harmless elsewhere).
    const RESPONDER = { durable: false };
    const requireFeature = (t: TestContext, feature: keyof TransportFeatures): boolean => {
      if (env.features[feature]) return true;
      t.skip(`${name} does not declare "${feature}"`);
      return false;
    };

    before(async () => {
      env = await setup();
    });
    afterEach(async () => {
      const [open, raw] = [buses, clients];
      buses = [];
      clients = [];
      await Promise.all([...open.map((bus) => bus.close()), ...raw.map((client) => client.close())]);
    });
    after(async () => {
      await env?.teardown();
    });

    test("publish/subscribe round trip delivers the exact payload, headers, subject and raw bytes", TEST_OPTIONS, async () => {
      const subject = eventSubject("roundtrip");
      const seen = new Collector<Seen>();
      const bus = await makeBus();
      await bus.listen([listenerFor(subject, undefined, (data, ctx) => seen.push({ data, ctx }))]);

      const payload = { id: 42, text: "héllo ✓ 日本語 🚀", nested: { list: [1, null, true, "x"], empty: {} }, price: 12.5 };
      await bus.publish(subject, payload, { headers: { "X-Trace-Id": "trace-123", "X-Tenant": "acme" } });
      await bus.publish(subject);

      const [first, second] = await seen.waitForCount(2, WAIT_MS, `two messages on ${subject}`);
      assert.deepEqual(first!.data, payload);
      assert.equal(first!.ctx.subject, subject);
      assert.equal(first!.ctx.headers["X-Trace-Id"], "trace-123");
      assert.equal(first!.ctx.headers["X-Tenant"], "acme");
      assert.equal(decoder.decode(first!.ctx.raw), JSON.stringify(payload));
      assert.equal(first!.ctx.replyTo, undefined);
      assert.equal(first!.ctx.deliveryCount, 1);
      assert.equal(first!.ctx.listener, "Recorder.handle");
      assert.equal(second!.data, undefined, "a bare publish(subject) arrives as undefined");
      assert.equal(second!.ctx.raw.length, 0);
    });

    test("a queue group shares messages: each handled exactly once across two buses, both members get some", TEST_OPTIONS, async (t) => {
      if (!requireFeature(t, "queueGroups")) return;
      const subject = eventSubject("queue");
      const handled = new Collector<{ member: number; i: number }>();
      const Member = memberListenerFor(subject, uniqueName("workers"), (member, data) => handled.push({ member, i: (data as { i: number }).i }));
      const [memberA, memberB, publisher] = await Promise.all([makeBus(), makeBus(), makeBus()]);
      await memberA.listen([Member]);
      await memberB.listen([Member]);

      const count = 60;
      for (let i = 0; i < count; i++) await publisher.publish(subject, { i });
      await handled.waitForCount(count, WAIT_MS, `${count} messages across the queue group`);
      // Drained members have handled everything they received: any duplicate would show up now.
      await Promise.all([memberA.drain(), memberB.drain()]);

      assert.equal(handled.length, count, "no message handled twice");
      assert.deepEqual(new Set(handled.items.map((item) => item.i)), new Set(Array.from({ length: count }, (_, i) => i)));
      const perMember = new Map<number, number>();
      for (const { member } of handled.items) perMember.set(member, (perMember.get(member) ?? 0) + 1);
      assert.equal(perMember.size, 2, `both members must get some messages, got ${JSON.stringify([...perMember])}`);
    });

    test("two queue groups on one subject each get every message (fan-out)", TEST_OPTIONS, async (t) => {
      if (!requireFeature(t, "queueGroups")) return;
      const subject = eventSubject("fanout");
      const billing = new Collector<number>();
      const shipping = new Collector<number>();
      const Billing = memberListenerFor(subject, uniqueName("billing"), (_m, data) => billing.push((data as { i: number }).i));
      const Shipping = memberListenerFor(subject, uniqueName("shipping"), (_m, data) => shipping.push((data as { i: number }).i));
      const [busA, busB, publisher] = await Promise.all([makeBus(), makeBus(), makeBus()]);
      await busA.listen([Billing, Shipping]);
      await busB.listen([Billing, Shipping]);

      const count = 25;
      for (let i = 0; i < count; i++) await publisher.publish(subject, { i });
      await billing.waitForCount(count, WAIT_MS, "every message in the billing group");
      await shipping.waitForCount(count, WAIT_MS, "every message in the shipping group");
      await Promise.all([busA.drain(), busB.drain()]);

      const all = Array.from({ length: count }, (_, i) => i);
      assert.deepEqual([...billing.items].sort((a, b) => a - b), all, "billing got each message exactly once");
      assert.deepEqual([...shipping.items].sort((a, b) => a - b), all, "shipping got each message exactly once");
    });

    test("wildcards: * matches exactly one token, > one or more", TEST_OPTIONS, async (t) => {
      if (env.features.wildcards === false) return t.skip(`${name}: durable listeners cannot use wildcards`);
      const base = eventSubject("wild");
      const single = new Collector<string>();
      const tail = new Collector<string>();
      const bus = await makeBus();
      await bus.listen([
        listenerFor(`${base}.*`, undefined, (_data, ctx) => single.push(ctx.subject)),
        listenerFor(`${base}.>`, undefined, (_data, ctx) => tail.push(ctx.subject)),
      ]);

      // Non-matching subjects first: one connection keeps order, so any wrong delivery would arrive before the sentinel.
      await bus.publish(base, { n: 1 });
      await bus.publish(`${base}-other.one`, { n: 2 });
      await bus.publish(`${base}.one`, { n: 3 });
      await bus.publish(`${base}.two.three`, { n: 4 });
      await bus.publish(`${base}.end`, { n: 5 });

      await waitFor(() => single.items.includes(`${base}.end`), WAIT_MS, `${base}.* to receive the sentinel`);
      await waitFor(() => tail.items.includes(`${base}.end`), WAIT_MS, `${base}.> to receive the sentinel`);
      assert.deepEqual(single.items, [`${base}.one`, `${base}.end`]);
      assert.deepEqual(tail.items, [`${base}.one`, `${base}.two.three`, `${base}.end`]);
    });

    test("request-reply: the handler's return value is the reply; ctx.reply answers early and wins", TEST_OPTIONS, async (t) => {
      if (!requireFeature(t, "requestReply")) return;
      const subject = requestSubject("rpc");
      const early = requestSubject("rpc-early");
      const bus = await makeBus();
      await bus.listen([
        listenerFor(subject, uniqueName("responders"), (data, ctx) => ({ echo: data, subject: ctx.subject, hasReplyTo: typeof ctx.replyTo === "string" }), RESPONDER),
        listenerFor(early, undefined, (data, ctx) => {
          ctx.reply({ early: data });
          return { late: true };
        }, RESPONDER),
      ]);
      const requester = await makeBus();

      const reply = await requester.request(subject, { sku: "a-1", qty: 2 }, { timeout: WAIT_MS });
      assert.deepEqual(reply, { echo: { sku: "a-1", qty: 2 }, subject, hasReplyTo: true });
      assert.deepEqual(await requester.request(early, "ping", { timeout: WAIT_MS }), { early: "ping" });
    });

    test("a request nobody listens to fails fast with EB_ERR_NO_RESPONDERS, not a timeout", TEST_OPTIONS, async (t) => {
      if (!requireFeature(t, "requestReply")) return;
      const bus = await makeBus();
      const started = Date.now();
      await assert.rejects(bus.request(requestSubject("nobody"), { x: 1 }, { timeout: 10_000 }), isCode(ErrorCodes.NO_RESPONDERS));
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 2_000, `no-responders must not wait for the timeout; took ${elapsed} ms`);
    });

    test("a request whose handler does not answer in time fails with EB_ERR_REQUEST_TIMEOUT", TEST_OPTIONS, async (t) => {
      if (!requireFeature(t, "requestReply")) return;
      const subject = requestSubject("slow-rpc");
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const called = new Collector<unknown>();
      const bus = await makeBus();
      await bus.listen([
        listenerFor(subject, undefined, async (data) => {
          called.push(data);
          await released;
          return "too late";
        }, RESPONDER),
      ]);
      try {
        const started = Date.now();
        await assert.rejects(bus.request(subject, { q: 1 }, { timeout: 150 }), isCode(ErrorCodes.REQUEST_TIMEOUT));
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 140, `rejected after ${elapsed} ms, before the 150 ms timeout`);
        assert.deepEqual(called.items, [{ q: 1 }], "the handler received the request (so this was a timeout, not no-responders)");
      } finally {
        release();
      }
    });

    test("a handler that throws on a request gives the requester a RemoteError with its message and code", TEST_OPTIONS, async (t) => {
      if (!requireFeature(t, "requestReply")) return;
      const subject = requestSubject("failing-rpc");
      const plain = requestSubject("failing-rpc-plain");
      const bus = await makeBus();
      await bus.listen([
        listenerFor(subject, undefined, () => {
          throw Object.assign(new Error("sku a-1 is out of stock"), { code: "E_OUT_OF_STOCK" });
        }, RESPONDER),
        listenerFor(plain, undefined, () => {
          throw new Error("boom");
        }, RESPONDER),
      ]);

      await assert.rejects(bus.request(subject, { sku: "a-1" }, { timeout: WAIT_MS }), (err: unknown) => {
        assert.ok(err instanceof RemoteError, `expected RemoteError, got ${String(err)}`);
        assert.equal(err.code, ErrorCodes.REMOTE);
        assert.equal(err.remoteMessage, "sku a-1 is out of stock");
        assert.equal(err.remoteCode, "E_OUT_OF_STOCK");
        assert.equal(err.subject, subject);
        assert.match(err.message, /sku a-1 is out of stock/);
        return true;
      });
      await assert.rejects(bus.request(plain, {}, { timeout: WAIT_MS }), (err: unknown) => {
        assert.ok(err instanceof RemoteError);
        assert.equal(err.remoteMessage, "boom");
        assert.equal(err.remoteCode, "UNKNOWN");
        return true;
      });
    });

    test("a handler that throws on a publish: the message is copied to dead-letter.<subject>, and the listener keeps going", TEST_OPTIONS, async () => {
      const subject = eventSubject("orders");
      // A transport that redelivers retries the failing message up to retry.maxDeliver before dead-lettering it.
      const attempts = env.features.redelivery ? (env.connectOptions().retry?.maxDeliver ?? 5) : 1;
      const calls = new Collector<number>();
      const deadLetters = new Collector<Seen>();

      @injectable()
      class FailingListener {
        @Listen(subject)
        handle(data: { n: number; fail?: boolean }): void {
          calls.push(data.n);
          if (data.fail) throw Object.assign(new Error(`cannot process order ${data.n}`), { code: "E_ORDER" });
        }
      }
      const DeadLetterWatcher = listenerFor(`dead-letter.${subject}`, undefined, (data, ctx) => deadLetters.push({ data, ctx }));

      const bus = await makeBus();
      await bus.listen([FailingListener, DeadLetterWatcher]);
      await bus.publish(subject, { n: 1, fail: true }, { headers: { "X-Trace-Id": "t-1" } });
      await bus.publish(subject, { n: 2 });

      const [dead] = await deadLetters.waitForCount(1, WAIT_MS, `a dead letter on dead-letter.${subject}`);
      await calls.waitForCount(attempts + 1, WAIT_MS, "the listener to handle the message after the failure");
      if (env.features.redelivery) {
        // Retries come back after a delay, so message 2 may be handled in between.
        assert.deepEqual([...calls.items].sort((a, b) => a - b), [...Array<number>(attempts).fill(1), 2]);
        assert.equal(dead!.ctx.headers[DeadLetterHeaders.deliveryCount], String(attempts));
      } else {
        assert.deepEqual(calls.items, [1, 2]);
      }
      assert.deepEqual(dead!.data, { n: 1, fail: true });
      assert.equal(dead!.ctx.subject, `dead-letter.${subject}`);
      const headers = dead!.ctx.headers;
      assert.equal(headers[DeadLetterHeaders.listener], "FailingListener.handle");
      assert.equal(headers["Eb-Listener"], "FailingListener.handle");
      assert.equal(headers["Eb-Error"], "cannot process order 1");
      assert.equal(headers["Eb-Original-Subject"], subject);
      assert.equal(headers[DeadLetterHeaders.reason], env.features.redelivery ? "max-deliveries" : "handler-error");
      assert.equal(headers[DeadLetterHeaders.errorCode], "E_ORDER");
      assert.equal(headers["X-Trace-Id"], "t-1", "the original headers travel with the dead letter");
      assert.equal(deadLetters.length, 1, "only the failed message is dead-lettered");
    });

    test("bytes that are not JSON never reach the handler: dead letter with reason undecodable; the listener keeps running", TEST_OPTIONS, async () => {
      const subject = eventSubject("poison");
      const handled = new Collector<unknown>();
      const deadLetters = new Collector<RawMessage>();
      const bus = await makeBus();
      await bus.listen([listenerFor(subject, undefined, (data) => handled.push(data))]);
      const raw = await rawClient();
      // The dead-letter copy of undecodable bytes is itself undecodable, so watch it below the codec.
      await raw.subscribe(`dead-letter.${subject}`, deadLetters.push);

      const invalidUtf8 = Uint8Array.from([0xff, 0xfe, 0x7b]);
      const notJson = encoder.encode("{not json");
      await raw.publish(subject, invalidUtf8);
      await raw.publish(subject, notJson, { "X-Source": "legacy" });
      await raw.publish(subject, encoder.encode(JSON.stringify({ ok: true })));

      await handled.waitForCount(1, WAIT_MS, "the valid message after two poison messages");
      const dead = await deadLetters.waitForCount(2, WAIT_MS, `two dead letters on dead-letter.${subject}`);
      assert.deepEqual(handled.items, [{ ok: true }], "the handler saw only the valid message");
      const bySize = [...dead].sort((a, b) => a.data.length - b.data.length);
      assert.deepEqual([...bySize[0]!.data], [...invalidUtf8]);
      assert.deepEqual([...bySize[1]!.data], [...notJson]);
      for (const letter of dead) {
        assert.equal(letter.headers[DeadLetterHeaders.reason], "undecodable");
        assert.equal(letter.headers[DeadLetterHeaders.errorCode], ErrorCodes.DECODE);
        assert.equal(letter.headers["Eb-Listener"], "Recorder.handle");
        assert.equal(letter.headers["Eb-Original-Subject"], subject);
        assert.match(letter.headers["Eb-Error"] ?? "", /not valid JSON/);
      }
      assert.equal(bySize[1]!.headers["X-Source"], "legacy");
    });

    test("drain() resolves only after every handler in flight finished, then the bus is closed", TEST_OPTIONS, async () => {
      const subject = eventSubject("slow");
      let started = 0;
      let finished = 0;
      const bus = await makeBus();
      const statuses: BusStatus[] = [];
      bus.onStatusChange((status) => statuses.push(status));
      await bus.listen([
        listenerFor(subject, undefined, async () => {
          started++;
          await new Promise((resolve) => setTimeout(resolve, 200)); // simulated work, not synchronisation
          finished++;
        }),
      ]);
      const publisher = await makeBus();
      for (let i = 0; i < 20; i++) await publisher.publish(subject, { i });
      await waitFor(() => started === 20, WAIT_MS, "all 20 slow handlers to start");
      assert.equal(finished, 0, "handlers are still in flight when drain starts");

      await bus.drain();
      assert.equal(finished, 20, "drain resolved before every handler in flight finished");
      assert.equal(bus.status, "closed");
      assert.equal(statuses.at(-1), "closed");
    });

    test("drain() also runs messages already received but queued behind the concurrency limit", TEST_OPTIONS, async () => {
      const subject = eventSubject("queued");
      let started = 0;
      let finished = 0;
      const handled: number[] = [];
      const Queued = listenerFor(
        subject,
        undefined,
        async (data) => {
          started++;
          await new Promise((resolve) => setTimeout(resolve, 20)); // simulated work
          finished++;
          handled.push((data as { i: number }).i);
        },
        { concurrency: 2 },
      );
      const bus = await makeBus();
      await bus.listen([Queued]);
      // Same connection: every publish reaches the subscription before drain's unsubscribe does.
      for (let i = 0; i < 10; i++) await bus.publish(subject, { i });
      await waitFor(() => started >= 1, WAIT_MS, "the first handler to start");

      await bus.drain();
      assert.equal(bus.status, "closed");
      if (!env.features.durable) {
        assert.equal(started, 10, "every received message was handled");
        assert.equal(finished, 10, "drain resolved before the queued handlers finished");
        return;
      }
      // A durable transport pulls no more than the concurrency allows: what it had not
      // started stays stored and goes to the next bus on the same listener.
      assert.equal(finished, started, "drain resolved before the handlers it started finished");
      const drainedCount = handled.length;
      const next = await makeBus();
      await next.listen([Queued]);
      await waitFor(() => new Set(handled).size === 10, WAIT_MS, `the next bus to handle what the first left (first: ${drainedCount})`);
      await next.drain();
      assert.deepEqual([...handled].sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i), "each message handled once across both buses");
    });

    test("close() is idempotent and the bus refuses work afterwards", TEST_OPTIONS, async () => {
      const bus = await makeBus();
      const first = bus.close();
      const second = bus.close();
      await Promise.all([first, second]);
      await bus.close();
      assert.equal(bus.status, "closed");
      await assert.rejects(bus.publish(uniqueName("after-close"), {}), isCode(ErrorCodes.NOT_CONNECTED));
    });

    test("onStatusChange reports the lifecycle from connect to close", TEST_OPTIONS, async () => {
      const bus = new EventBus();
      buses.push(bus);
      const statuses: BusStatus[] = [];
      const unsubscribe = bus.onStatusChange((status) => statuses.push(status));
      assert.equal(bus.status, "closed", "a new bus starts closed");
      await bus.connect(env.connectOptions());
      assert.equal(bus.status, "connected");
      await bus.close();
      assert.deepEqual(statuses, env.features.statusLifecycle);
      unsubscribe();
      await bus.connect(env.connectOptions());
      await bus.close();
      assert.deepEqual(statuses, env.features.statusLifecycle, "no calls after unsubscribing");
    });

    test("publishing a value JSON cannot encode throws EB_ERR_ENCODE and sends nothing", TEST_OPTIONS, async () => {
      const subject = eventSubject("circular");
      const received = new Collector<unknown>();
      const bus = await makeBus();
      await bus.listen([listenerFor(subject, undefined, (data) => received.push(data))]);
      const circular: Record<string, unknown> = { name: "loop" };
      circular.self = circular;

      await assert.rejects(bus.publish(subject, circular), isCode(ErrorCodes.ENCODE));
      await assert.rejects(bus.publish(subject, { big: 10n }), isCode(ErrorCodes.ENCODE));
      await bus.publish(subject, "sentinel");

      await received.waitForCount(1, WAIT_MS, "the sentinel");
      assert.deepEqual(received.items, ["sentinel"], "nothing but the sentinel arrived");
    });

    test("invalid or wildcard publish subjects throw EB_ERR_INVALID_SUBJECT", TEST_OPTIONS, async () => {
      const bus = await makeBus();
      for (const subject of ["", "a..b", "a.*", "a.>", "has space", "trailing."]) {
        await assert.rejects(bus.publish(subject, {}), isCode(ErrorCodes.INVALID_SUBJECT), `publish(${JSON.stringify(subject)})`);
      }
    });
  });
}
