/**
 * eventsDashboard() mounted in real Express 5 and Express 4 apps, over a real nats-server
 * (JetStream, so dead letters are kept): every page answers, the mount path is honoured,
 * authorize() guards everything, and a discard with the page's CSRF token works in both
 * majors, with or without a body parser of the app in front. The browser suite
 * (test/e2e/dashboard.test.ts) covers what a person sees.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import type { IncomingMessage, Server } from "node:http";
import { after, before, describe, test } from "node:test";
import express from "express";
import express4 from "express4";
import { ErrorCodes, EventBus, createConsoleLogger } from "../../src/index.js";
import { eventsDashboard, type DashboardOptions } from "../../src/dashboard/index.js";
import { errorWithCode } from "../helpers/assertions.js";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { listenOnFreePort } from "./support.js";

let nats: NatsServer | undefined;
let bus: EventBus;

before(async () => {
  nats = await startNatsServer();
  bus = new EventBus();
  await bus.connect({ transport: "jetstream", servers: [nats.url], env: {}, logger: createConsoleLogger("warn", "dashboard-test"), metrics: false });
  await bus.provision([]); // creates the dead-letter stream
});

after(async () => {
  await bus?.drain();
  await nats?.stop();
});

/** A dead letter as the runner writes one (its Eb-* headers), stored in the dead-letter stream. */
async function deadLetter(id: string): Promise<number> {
  const receipt = await bus.transport.publish("dead-letter.orders.placed", new TextEncoder().encode(JSON.stringify({ id })), {
    headers: { "Eb-Original-Subject": "orders.placed", "Eb-Listener": "Orders.onPlaced", "Eb-Dead-Letter-Reason": "invalid", "Eb-Error": "bad order", "Eb-Delivery-Count": "1" },
  });
  return receipt.seq!;
}

const flavours = [
  {
    name: "Express 5",
    mount: (options: DashboardOptions, parse: boolean) => {
      const app = express();
      if (parse) app.use(express.urlencoded({ extended: false }));
      return app.use("/ops/events", eventsDashboard(options));
    },
  },
  {
    name: "Express 4",
    mount: (options: DashboardOptions, parse: boolean) => {
      const app = express4();
      if (parse) app.use(express4.urlencoded({ extended: false }));
      return app.use("/ops/events", eventsDashboard(options));
    },
  },
];

for (const flavour of flavours) {
  describe(`eventsDashboard in ${flavour.name}`, () => {
    const servers: Server[] = [];
    const start = async (options: DashboardOptions, parse = false) => {
      const app = flavour.mount({ bus, ...options }, parse);
      const { server, baseUrl } = await listenOnFreePort((port, host, ready) => app.listen(port, host, ready));
      servers.push(server);
      return `${baseUrl}/ops/events`;
    };
    after(() => servers.forEach((server) => server.close()));

    test("every page answers under the mount path, with the security headers", async () => {
      const base = await start({});
      const seq = await deadLetter(`${flavour.name}-page`);
      for (const [path, text] of [
        ["", "Connection"],
        ["/", "Connection"],
        ["/listeners", "Listeners by group"],
        ["/dead-letters/", "Dead letters"],
        [`/dead-letters/${seq}`, `Dead letter #${seq}`],
      ] as const) {
        const response = await fetch(`${base}${path}`);
        const body = await response.text();
        assert.equal(response.status, 200, `${path}: ${body.slice(0, 300)}`);
        assert.ok(body.includes(text), `${path} lacks "${text}"`);
        assert.ok(body.includes('href="/ops/events/assets/dashboard.css"'), `${path}: links are under the mount path`);
        assert.match(response.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      }
      assert.equal((await fetch(`${base}/assets/dashboard.js`)).headers.get("content-type"), "text/javascript; charset=utf-8");
      assert.equal((await fetch(`${base}/dead-letters/999999`)).status, 404);
    });

    test("authorize() is asked for every request; false answers 403", async () => {
      const asked: string[] = [];
      const base = await start({ authorize: (req: IncomingMessage) => (asked.push(req.url ?? ""), req.headers["x-operator"] === "yes") });
      assert.equal((await fetch(`${base}/listeners`)).status, 403);
      assert.equal((await fetch(`${base}/listeners`, { headers: { "x-operator": "yes" } })).status, 200);
      assert.deepEqual(asked, ["/listeners", "/listeners"]);
    });

    for (const parse of [false, true]) {
      test(`a discard with the page's CSRF token removes the dead letter${parse ? " (the app parses form bodies itself)" : ""}`, async () => {
        const base = await start({ readOnly: false, authorize: () => true }, parse);
        const seq = await deadLetter(`${flavour.name}-discard-${parse}`);
        const page = await fetch(`${base}/dead-letters/${seq}`);
        const cookie = page.headers.get("set-cookie")!.split(";")[0]!;
        const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
        const form = { "content-type": "application/x-www-form-urlencoded", cookie };
        const forged = await fetch(`${base}/dead-letters/discard`, { method: "POST", headers: form, body: `seq=${seq}&_csrf=${token}x`, redirect: "manual" });
        assert.equal(forged.status, 403);
        const discarded = await fetch(`${base}/dead-letters/discard`, { method: "POST", headers: form, body: `seq=${seq}&_csrf=${encodeURIComponent(token)}`, redirect: "manual" });
        assert.equal(discarded.status, 303, await discarded.text());
        assert.equal(discarded.headers.get("location"), "/ops/events/dead-letters/?done=discard&count=1");
        assert.equal((await fetch(`${base}/dead-letters/${seq}`)).status, 404);
      });
    }
  });
}

test("readOnly: false without authorize is refused when the dashboard is created", () => {
  assert.throws(() => eventsDashboard({ readOnly: false }), errorWithCode(ErrorCodes.CONFIG, "authorize"));
  assert.throws(() => eventsDashboard({ authorize: "yes" as never }), errorWithCode(ErrorCodes.CONFIG, "authorize must be a function"));
});
