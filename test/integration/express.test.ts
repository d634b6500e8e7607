/**
 * The Express helpers (src/express/) in real Express 5 and Express 4 apps, over
 * a real nats-server. One suite, run once per Express major version.
 *
 * The helpers default to the tsyringe singleton EventBus, and EventPublisher
 * (used by withPublisher/route) is resolved from the root container, so each
 * version's suite connects `container.resolve(EventBus)` in before() and drains
 * it in after(). A second, separate bus plays the listener process.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";
import express from "express";
import express4 from "express4";
import { container, injectable } from "tsyringe";
import {
  closeBusWithServer,
  ErrorCodes,
  EventBus,
  eventBusErrorHandler,
  EventPublisher,
  healthHandler,
  Listen,
  route,
  withPublisher,
  type ConnectOptions,
  type MessageContext,
} from "../../src/index.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { Collector, uniqueName } from "../helpers/unique.js";
import { httpCall, listenOnFreePort, removeDir, silentLogger, StatusRecorder, tempCwd } from "./support.js";

const WAIT_MS = 10_000;
const TEST_OPTIONS = { timeout: 30_000 };

/**
 * What the suite needs from an app, structurally, so one suite drives both
 * majors. Each flavour builds its app with its own real types and runtime.
 */
interface AppLike {
  use(...handlers: unknown[]): unknown;
  get(path: string, ...handlers: unknown[]): unknown;
  post(path: string, ...handlers: unknown[]): unknown;
  listen(port: number, host: string, ready: () => void): Server;
}

interface ExpressFlavour {
  readonly name: string;
  /** The `version` field of the package actually loaded, to prove which runtime ran. */
  readonly version: string;
  /** A new app with the JSON body parser mounted. */
  createApp(): AppLike;
}

const require_ = createRequire(import.meta.url);
const versionOf = (pkg: string): string => (require_(`${pkg}/package.json`) as { version: string }).version;

const flavours: ExpressFlavour[] = [
  {
    name: "Express 5",
    version: versionOf("express"),
    createApp() {
      const app = express();
      app.use(express.json());
      return app;
    },
  },
  {
    name: "Express 4",
    version: versionOf("express4"),
    createApp() {
      const app = express4();
      app.use(express4.json());
      return app;
    },
  },
];

/** Minimal request/response shapes both majors satisfy; controllers are written against these. */
interface Req {
  readonly body: unknown;
}
interface Res {
  status(code: number): Res;
  json(body: unknown): unknown;
}
type ErrorMiddleware = (err: unknown, req: unknown, res: Res, next: (err?: unknown) => void) => void;

/** Catches what eventBusErrorHandler passed on: proves the error reached Express's error chain. */
const lastResortErrorHandler: ErrorMiddleware = (err, _req, res, _next) => {
  res.status(500).json({ caught: err instanceof Error ? err.message : String(err) });
};

let nats: NatsServer;
let cwd: string;

const busOptions = (): ConnectOptions => ({
  transport: "nats",
  servers: [nats.url],
  env: {},
  cwd,
  logger: silentLogger,
  reconnect: { waitMs: 100, jitterMs: 0 },
  requestTimeoutMs: 5_000,
});

before(async () => {
  cwd = await tempCwd("express");
  nats = await startNatsServer({ jetstream: false });
});

after(async () => {
  await nats?.stop();
  await removeDir(cwd);
});

for (const flavour of flavours) expressSuite(flavour);

function expressSuite(flavour: ExpressFlavour): void {
  describe(`Express helpers on ${flavour.name} (express@${flavour.version})`, () => {
    const tag = uniqueName(flavour.name.replace(/\W/g, "").toLowerCase());
    const SUBJECTS = {
      orderCreated: `${tag}.orders.created`,
      noteAdded: `${tag}.notes.added`,
      nobody: `${tag}.nobody.listens`,
      lastWords: `${tag}.last.words`,
      slow: `${tag}.slow.job`,
    };

    const ordersSeen = new Collector<{ data: unknown; subject: string }>();
    const notesSeen = new Collector<unknown>();
    const lastWordsSeen = new Collector<unknown>();

    /** The listener process's class: what a user puts in a listeners module. */
    @injectable()
    class OrderAudit {
      @Listen(SUBJECTS.orderCreated)
      onOrderCreated(data: unknown, ctx: MessageContext): void {
        ordersSeen.push({ data, subject: ctx.subject });
      }

      @Listen(SUBJECTS.noteAdded)
      onNoteAdded(data: unknown): void {
        notesSeen.push(data);
      }

      @Listen(SUBJECTS.lastWords)
      onLastWords(data: unknown): void {
        lastWordsSeen.push(data);
      }
    }

    /** A controller built by tsyringe: EventPublisher comes by constructor injection. */
    @injectable()
    class OrdersController {
      readonly instanceId = uniqueName("controller");

      constructor(private readonly events: EventPublisher) {}

      async create(req: Req, res: Res): Promise<void> {
        await this.events.publish(SUBJECTS.orderCreated, { ...(req.body as object), by: this.instanceId });
        res.status(202).json({ accepted: true, by: this.instanceId });
      }

      async explode(): Promise<void> {
        await Promise.resolve();
        throw new Error(`controller exploded on ${flavour.name}`);
      }

      async askNobody(_req: Req, res: Res): Promise<void> {
        res.json(await this.events.request(SUBJECTS.nobody, { q: 1 }, { timeout: 5_000 }));
      }
    }

    const bus = () => container.resolve(EventBus);

    /**
     * Resolves once the server has processed everything `someBus` sent before: a request nobody answers is
     * handled in order on that connection, and the server's no-responders reply comes back only after it.
     */
    const serverCaughtUp = async (someBus: EventBus): Promise<void> => {
      await assert.rejects(someBus.request(SUBJECTS.nobody, null, { timeout: WAIT_MS }), { code: ErrorCodes.NO_RESPONDERS });
    };

    let listenerBus: EventBus;
    let server: Server;
    let baseUrl: string;

    before(async () => {
      // Idempotent while connected; reconnects the singleton if an earlier suite's closeBusWithServer drained it.
      await bus().connect(busOptions());
      assert.equal(bus().status, "connected");
      listenerBus = new EventBus();
      await listenerBus.connect(busOptions());
      await listenerBus.listen([OrderAudit]);

      const app = flavour.createApp();
      app.get("/health", healthHandler());
      app.post("/orders", route(OrdersController, "create"));
      app.post("/explode", route(OrdersController, "explode"));
      app.post("/ask-nobody", route(OrdersController, "askNobody"));
      app.post(
        "/notes",
        withPublisher(async (events, req: Req, res: Res) => {
          await events.publish(SUBJECTS.noteAdded, req.body);
          res.status(201).json({ published: SUBJECTS.noteAdded });
        }),
      );
      app.get(
        "/reject",
        withPublisher(async () => {
          await Promise.resolve();
          throw new Error(`async handler rejected on ${flavour.name}`);
        }),
      );
      app.get(
        "/ask-nobody-plain",
        withPublisher(async (events, _req: Req, res: Res) => {
          res.json(await events.request(SUBJECTS.nobody, {}, { timeout: 5_000 }));
        }),
      );
      app.use(eventBusErrorHandler());
      app.use(lastResortErrorHandler);
      ({ server, baseUrl } = await listenOnFreePort((port, host, ready) => app.listen(port, host, ready)));
    });

    after(async () => {
      if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      await listenerBus?.drain();
      await bus().drain();
    });

    test("the runtime is the Express major this suite claims", () => {
      assert.equal(flavour.version.split(".")[0], flavour.name === "Express 5" ? "5" : "4");
    });

    test("route(Controller, 'create'): the controller gets EventPublisher injected and its event reaches a @Listen class on another bus", TEST_OPTIONS, async () => {
      const first = await httpCall("POST", `${baseUrl}/orders`, { orderId: "o-1" });
      assert.equal(first.status, 202, JSON.stringify(first.body));
      const { by } = first.body as { by: string };
      const [seen] = await ordersSeen.waitForCount(1, WAIT_MS, "the order-created event at the listener bus");
      assert.deepEqual(seen, { data: { orderId: "o-1", by }, subject: SUBJECTS.orderCreated });

      // Built once, on first use: the second request hits the same controller instance.
      const second = await httpCall("POST", `${baseUrl}/orders`, { orderId: "o-2" });
      assert.equal((second.body as { by: string }).by, by);
      await ordersSeen.waitForCount(2, WAIT_MS, "the second order-created event");
    });

    test("withPublisher: a plain handler gets the publisher first and its event is delivered", TEST_OPTIONS, async () => {
      const result = await httpCall("POST", `${baseUrl}/notes`, { text: "hello" });
      assert.equal(result.status, 201);
      assert.deepEqual(result.body, { published: SUBJECTS.noteAdded });
      assert.deepEqual(await notesSeen.waitForCount(1, WAIT_MS, "the note-added event"), [{ text: "hello" }]);
    });

    test("a rejecting async handler (withPublisher and route) reaches the error middleware", TEST_OPTIONS, async () => {
      // Express 4 ignores rejected promises on its own; without the forwarding these requests would hang until the timeout.
      const plain = await httpCall("GET", `${baseUrl}/reject`);
      assert.equal(plain.status, 500);
      assert.deepEqual(plain.body, { caught: `async handler rejected on ${flavour.name}` });

      const routed = await httpCall("POST", `${baseUrl}/explode`, {});
      assert.equal(routed.status, 500);
      assert.deepEqual(routed.body, { caught: `controller exploded on ${flavour.name}` });
    });

    test("eventBusErrorHandler maps a request with no responders to 503 JSON EB_ERR_NO_RESPONDERS, quickly", TEST_OPTIONS, async () => {
      for (const path of ["/ask-nobody", "/ask-nobody-plain"]) {
        const result = await httpCall(path === "/ask-nobody" ? "POST" : "GET", `${baseUrl}${path}`, path === "/ask-nobody" ? {} : undefined);
        assert.equal(result.status, 503, `${path}: ${JSON.stringify(result.body)}`);
        assert.match(result.contentType ?? "", /^application\/json/);
        const body = result.body as { error: string; message: string };
        assert.equal(body.error, ErrorCodes.NO_RESPONDERS);
        // The subject is internal: the client gets the code and a generic message (exposeDetails is off).
        assert.ok(!body.message.includes(SUBJECTS.nobody), body.message);
        // The request timeout is 5 s: an answer well below it means the server's no-responders status was used, not a timeout.
        assert.ok(result.elapsedMs < 2_000, `${path} took ${Math.round(result.elapsedMs)} ms; no-responders must not wait for the request timeout`);
      }
    });

    test("healthHandler: 200 while connected, 503 while the server is down, 200 again after the reconnect", TEST_OPTIONS, async () => {
      const healthy = await httpCall("GET", `${baseUrl}/health`);
      assert.equal(healthy.status, 200);
      const reconnectsBefore = (healthy.body as { reconnects: number }).reconnects;
      assert.deepEqual(healthy.body, { status: "ok", bus: "connected", transport: "nats", reconnects: reconnectsBefore });

      const statuses = new StatusRecorder(bus());
      const listenerStatuses = new StatusRecorder(listenerBus);
      const port = nats.port;
      let stopped = false;
      try {
        stopped = true;
        await nats.stop();
        const lostAt = await statuses.waitFor("reconnecting", 0, WAIT_MS);
        const down = await httpCall("GET", `${baseUrl}/health`);
        assert.equal(down.status, 503, JSON.stringify(down.body));
        const downBody = down.body as { status: string; bus: string };
        assert.notEqual(downBody.bus, "connected");
        assert.equal(downBody.status, "unavailable");

        nats = await startNatsServer({ port, jetstream: false });
        stopped = false;
        await statuses.waitFor("connected", lostAt + 1, WAIT_MS);
        const back = await httpCall("GET", `${baseUrl}/health`);
        assert.equal(back.status, 200, JSON.stringify(back.body));
        assert.deepEqual(back.body, { status: "ok", bus: "connected", transport: "nats", reconnects: reconnectsBefore + 1 }, "the reconnect is counted");

        // The listener bus reconnects too (the next tests need it) and its subscriptions are restored.
        await listenerStatuses.waitFor("connected", listenerStatuses.seen.indexOf("reconnecting") + 1, WAIT_MS);
        // "connected" means nats.js has written its SUBs again, not that the server processed them; another
        // connection's PUB could still overtake them. A round trip on the listener's own connection settles it.
        await serverCaughtUp(listenerBus);
      } finally {
        statuses.stop();
        listenerStatuses.stop();
        // Failed midway: bring the server back so the rest of the file does not fail for this test's reason.
        if (stopped) nats = await startNatsServer({ port, jetstream: false });
      }
      const before = notesSeen.length;
      const result = await httpCall("POST", `${baseUrl}/notes`, { text: "after reconnect" });
      assert.equal(result.status, 201);
      const notes = await notesSeen.waitForCount(before + 1, WAIT_MS, "an event published after the reconnect");
      assert.deepEqual(notes.at(-1), { text: "after reconnect" });
    });

    test("closeBusWithServer: server.close() drains the bus (handlers in flight finish) to closed; what was published just before is delivered", TEST_OPTIONS, async () => {
      // An embedded-mode listener on the web process's bus, held in flight until the server has closed.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slowStarted = new Collector<unknown>();
      @injectable()
      class SlowWorker {
        constructor(private readonly events: EventPublisher) {}

        @Listen(SUBJECTS.slow)
        async work(data: unknown): Promise<void> {
          slowStarted.push(data);
          await gate;
          await this.events.publish(SUBJECTS.lastWords, { n: "from-handler" });
        }
      }
      await bus().listen([SlowWorker]);

      const app = flavour.createApp();
      app.post(
        "/last",
        withPublisher(async (events, req: Req, res: Res) => {
          await events.publish(SUBJECTS.lastWords, req.body);
          res.status(202).json({ ok: true });
        }),
      );
      const closing = await listenOnFreePort((port, host, ready) => closeBusWithServer(app.listen(port, host, ready)));
      const statuses = new StatusRecorder(bus());
      try {
        await listenerBus.publish(SUBJECTS.slow, { job: 1 });
        await slowStarted.waitForCount(1, WAIT_MS, "the slow handler to start");
        assert.equal((await httpCall("POST", `${closing.baseUrl}/last`, { n: "from-request" })).status, 202);

        // Published in the same tick as close().
        const burst = 500;
        const events = container.resolve(EventPublisher);
        const sent = Array.from({ length: burst }, (_, i) => events.publish(SUBJECTS.lastWords, { n: i, pad: "x".repeat(512) }));
        const serverClosed = new Promise<void>((resolve, reject) => closing.server.close((err) => (err ? reject(err) : resolve())));
        await Promise.all(sent);
        await serverClosed;

        // The drain started on "close" and waits for the handler: the bus cannot be closed yet.
        assert.notEqual(bus().status, "closed", "closeBusWithServer must drain (wait for handlers in flight), not close at once");
        release();
        await statuses.waitFor("closed", 0, WAIT_MS);
        assert.equal(bus().status, "closed");

        const all = await lastWordsSeen.waitForCount(burst + 2, WAIT_MS, "every message published before the close, and the in-flight handler's follow-up");
        const ns = all.map((item) => (item as { n: number | string }).n);
        assert.equal(ns[0], "from-request");
        assert.deepEqual(ns.filter((n) => typeof n === "number"), Array.from({ length: burst }, (_, i) => i), "the burst arrives complete and in order");
        assert.equal(ns.at(-1), "from-handler", "the handler in flight finished and its publish was flushed before the connection closed");
      } finally {
        release();
        statuses.stop();
      }
      // The main test server is still up, but the bus is closed now: health says so.
      const health = await httpCall("GET", `${baseUrl}/health`);
      assert.equal(health.status, 503);
      assert.equal((health.body as { bus: string }).bus, "closed");
    });
  });
}
