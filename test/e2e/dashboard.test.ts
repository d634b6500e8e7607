// The events dashboard in a real browser (playwright-core driving Debian's Chromium) against
// the example app as a user runs it: a real nats-server, two `register-listeners` processes
// and two web servers mounting the dashboard at /events, one with actions (password set)
// and one read-only. Writes the screenshots docs/dashboard.md shows.
import assert from "node:assert/strict";
import { mkdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { AckPolicy, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Delivery, EventBus } from "express-nats-events";
import { launchBrowser } from "../helpers/browser.js";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { EXAMPLE_DIR, EXAMPLE_SERVER, ProcessGroup, ROOT, connectTestBus, type TestProcess } from "../helpers/processes.js";
import { Collector, pollUntil } from "../helpers/unique.js";
import type { NatsCoreTransport } from "../../src/transport/nats-core.js";

// Every run takes the screenshots; they replace the ones docs/dashboard.md shows only when asked
// (UPDATE_SCREENSHOTS=1), so a test run does not leave changed images in everyone's work tree.
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === "1" ? path.join(ROOT, "docs/images") : path.join(os.tmpdir(), `dashboard-screenshots-${process.pid}`);
const PASSWORD = "dashboard-e2e-password";
const group = new ProcessGroup();
let nats: NatsServer | undefined;
let bus: EventBus | undefined;
let jsm: JetStreamManager;
let browser: Browser | undefined;
let admin: BrowserContext;
let readOnly: BrowserContext;
let listeners: TestProcess[];
let adminBase: string;
let readOnlyBase: string;
const basicAuth = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`;

before(async () => {
  nats = await startNatsServer();
  const [adminPort, readOnlyPort] = [await freePort(), await freePort()];
  adminBase = `http://127.0.0.1:${adminPort}/events`;
  readOnlyBase = `http://127.0.0.1:${readOnlyPort}/events`;
  const env = { NATS_URL: nats.url };
  const webs = [
    group.spawn(process.execPath, [EXAMPLE_SERVER], { name: "web-admin", cwd: EXAMPLE_DIR, env: { ...env, PORT: String(adminPort), EVENTS_DASHBOARD_PASSWORD: PASSWORD }, ipc: true }),
    group.spawn(process.execPath, [EXAMPLE_SERVER], { name: "web-read-only", cwd: EXAMPLE_DIR, env: { ...env, PORT: String(readOnlyPort) }, ipc: true }),
  ];
  // Generous start-up timeouts: four Node processes and a browser start at once on a shared machine.
  const ready = { cwd: EXAMPLE_DIR, env, readyTimeoutMs: 45_000 };
  [listeners] = await Promise.all([
    Promise.all([group.listeners([], { name: "listeners-1", ...ready }), group.listeners([], { name: "listeners-2", ...ready })]),
    // Kept as soon as it runs, so after() closes it even when another start-up step failed.
    launchBrowser().then((launched) => (browser = launched)),
    ...webs.map((web) => web.waitForReady(45_000)),
  ]);
  bus = await connectTestBus(nats.url);
  jsm = await jetstreamManager((bus.transport as NatsCoreTransport).connection);
  admin = await browser!.newContext({ extraHTTPHeaders: { authorization: basicAuth }, viewport: { width: 1360, height: 900 } });
  readOnly = await browser!.newContext({ viewport: { width: 1360, height: 900 } });
  await mkdir(SCREENSHOTS, { recursive: true });
});

after(async () => {
  if (!SCREENSHOTS.startsWith(ROOT)) await rm(SCREENSHOTS, { recursive: true, force: true });
  await browser?.close();
  await bus?.close();
  await group.killAll();
  await nats?.stop();
});

/** Messages the test bus sees on `subject` (core subscription: it sees what is published, stored or not). */
async function watch(subject: string): Promise<Collector<Delivery>> {
  const seen = new Collector<Delivery>();
  await bus!.transport.subscribe({ subject, queueGroup: undefined, listenerId: "dashboard-test", concurrency: 1, durable: false }, async (delivery) => seen.push(delivery));
  return seen;
}

async function open(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  const response = await page.goto(url);
  assert.equal(response?.status(), 200, `GET ${url} answered ${response?.status()}`);
  return page;
}

/**
 * Opens `url` and reloads it until `shows` holds: discovery is a snapshot, and on a loaded
 * machine a listener process may answer after the window of one page view (docs/dashboard.md).
 */
async function openShowing(context: BrowserContext, url: string, shows: (page: Page) => Promise<boolean>, what: string): Promise<Page> {
  const page = await open(context, url);
  await pollUntil(async () => (await shows(page)) || (await page.reload(), undefined), 30_000, what, 0);
  return page;
}

async function publishRaw(subject: string, text: string): Promise<void> {
  await bus!.transport.publish(subject, new TextEncoder().encode(text));
}

function cell(page: Page, row: string, column: string): Promise<string> {
  return page.locator(`${row} td.${column}`).innerText();
}

describe("events dashboard in a browser", () => {
  test("the listeners page lists the example's groups with their live processes and the server's pending counts", async () => {
    // A consumer no process reads from (a renamed group's leftover): messages pile up in it.
    await jsm.consumers.add("ORDERS", { durable_name: "old-emails", filter_subject: "order.created", ack_policy: AckPolicy.Explicit });
    const http = adminBase.replace(/\/events$/, "");
    for (let i = 0; i < 3; i++) {
      const created = await fetch(`${http}/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sku: "BOOK-1", quantity: 1, email: "ada@example.com" }) });
      assert.equal(created.status, 202);
    }
    await pollUntil(
      async () => {
        const states = await Promise.all(["emails__order_created", "order-counter__order_created"].map((name) => jsm.consumers.info("ORDERS", name)));
        return states.every((state) => state.num_pending === 0 && state.num_ack_pending === 0 && state.delivered.consumer_seq === 3) || undefined;
      },
      15_000,
      "both example groups to have handled the 3 orders",
      50,
    );

    const bothLive = async (page: Page) => (await page.locator("td.processes").allInnerTexts()).filter((text) => text.startsWith("2 live")).length === 3;
    const page = await openShowing(admin, `${adminBase}/listeners/`, bothLive, "both listener processes in each of the example's three groups");
    for (const [row, subject, queueGroup] of [
      ['tr[data-group="ORDERS/emails__order_created"]', "order.created", "emails"],
      ['tr[data-group="ORDERS/order-counter__order_created"]', "order.created", "order-counter"],
      ['tr[data-group="core quote.get quote-workers"]', "quote.get", "quote-workers"],
    ] as const) {
      const text = await page.locator(row).innerText();
      assert.ok(text.includes(subject) && text.includes(queueGroup), `${row}: ${text}`);
      const processes = await cell(page, row, "processes");
      assert.match(processes, /^2 live/, `${row} processes: ${processes}`);
      for (const listener of listeners) assert.ok(processes.includes(`pid ${listener.pid}@`), `${row} lacks pid ${listener.pid}: ${processes}`);
    }
    assert.equal(await cell(page, 'tr[data-group="ORDERS/emails__order_created"]', "pending"), "0");
    // Handled counts come from both processes' $SRV.STATS answers, added up.
    assert.match(await page.locator('tr[data-group="ORDERS/emails__order_created"]').innerText(), /3 total/);
    const leftover = 'tr[data-group="ORDERS/old-emails"]';
    assert.equal(await cell(page, leftover, "pending"), String((await jsm.consumers.info("ORDERS", "old-emails")).num_pending));
    assert.equal(await cell(page, leftover, "pending"), "3");
    assert.match(await cell(page, leftover, "processes"), /none.*pending, no live process/s);
    await page.screenshot({ path: path.join(SCREENSHOTS, "dashboard-listeners.png"), fullPage: true });
    await page.close();
  });

  test("a payload that breaks the contract shows under dead letters with its reason, and replay from the page re-publishes it", async () => {
    const deadLetters = await watch("dead-letter.order.created");
    const payload = JSON.stringify({ id: "not-a-uuid", sku: "BOOK-1", quantity: 0, email: "nobody" });
    await publishRaw("order.created", payload);
    await deadLetters.waitForCount(2, 15_000, "the invalid order dead-lettered by both groups");

    const page = await open(admin, `${adminBase}/dead-letters/?reason=invalid`);
    const rows = page.locator("#dead-letters tbody tr");
    assert.equal(await rows.count(), 2);
    const listing = await page.locator("#dead-letters").innerText();
    assert.match(listing, /OrderEmailListener\.onOrderCreated/);
    assert.match(listing, /OrderCounterListener\.onOrderCreated/);
    assert.equal((await page.locator("#dead-letters .reason").allInnerTexts()).join(","), "invalid,invalid");
    await page.screenshot({ path: path.join(SCREENSHOTS, "dashboard-dead-letters.png"), fullPage: true });

    const seq = await rows.first().getAttribute("data-seq");
    await Promise.all([page.waitForURL(`${adminBase}/dead-letters/${seq}`), rows.first().locator("a").click()]);
    assert.match(await page.locator("pre.payload").innerText(), /"id": "not-a-uuid"/);
    assert.match(await page.locator("dl.facts").innerText(), /reason\s+invalid/);
    await page.screenshot({ path: path.join(SCREENSHOTS, "dashboard-dead-letter.png"), fullPage: true });

    const republished = await watch("order.created");
    await Promise.all([page.waitForURL(/\/dead-letters\/\?done=replay&count=1$/), page.locator("#replay-one").click()]);
    assert.equal(await page.locator(".notice").innerText(), "replayed 1 dead letter");
    const [replayed] = await republished.waitForCount(1, 10_000, "the replayed order on order.created");
    assert.equal(new TextDecoder().decode(replayed!.data), payload);
    assert.equal(replayed!.headers["Eb-Dead-Letter-Reason"], undefined, "the diagnosis headers stay behind");
    const gone = await page.goto(`${adminBase}/dead-letters/${seq}`);
    assert.equal(gone?.status(), 404, "a replayed dead letter is removed");
    await page.close();
  });

  test("a dead letter whose payload is <script>…</script> renders as text", async () => {
    const deadLetters = await watch("dead-letter.order.created");
    const attack = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">`;
    await publishRaw("order.created", attack);
    await deadLetters.waitForCount(2, 15_000, "the undecodable payload dead-lettered by both groups");

    const list = await open(admin, `${adminBase}/dead-letters/?reason=undecodable`);
    const seq = await list.locator("#dead-letters tbody tr").first().getAttribute("data-seq");
    const page = await open(admin, `${adminBase}/dead-letters/${seq}`);
    for (const shown of [list, page]) {
      assert.equal(await shown.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);
      assert.equal(await shown.locator("img").count(), 0, "no <img> element was created from the payload");
      const scripts = await shown.locator("script").evaluateAll((elements) => elements.map((element) => element.outerHTML));
      assert.ok(scripts.every((script) => !script.includes("__pwned")), scripts.join("\n"));
    }
    assert.equal(await page.locator("pre.payload").innerText(), attack);
    await list.close();
    await page.close();
  });

  test("read-only: the actions are absent and a forged POST is refused", async () => {
    const page = await open(readOnly, `${readOnlyBase}/dead-letters/`);
    assert.ok((await page.locator("#dead-letters tbody tr").count()) >= 3, "the dead letters are listed");
    assert.equal(await page.locator("form[method=post]").count(), 0);
    assert.equal(await page.locator("input[name=seq]").count(), 0);
    assert.equal(await page.locator("header .mode").innerText(), "read-only");
    const seq = await page.locator("#dead-letters tbody tr").first().getAttribute("data-seq");
    await page.goto(`${readOnlyBase}/dead-letters/${seq}`);
    assert.equal(await page.locator("#replay-one, #discard-one").count(), 0);
    await page.close();

    const form = { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `seq=${seq}`, redirect: "manual" } as const;
    const forged = await fetch(`${readOnlyBase}/dead-letters/replay`, form);
    assert.equal(forged.status, 405);
    assert.equal(forged.headers.get("allow"), "GET, HEAD");
    // With actions on, a POST without the page's CSRF token (or from another site) is refused too.
    const noToken = await fetch(`${adminBase}/dead-letters/discard`, { ...form, headers: { ...form.headers, authorization: basicAuth } });
    assert.equal(noToken.status, 403);
    assert.match(await noToken.text(), /CSRF/);
    const crossSite = await fetch(`${adminBase}/dead-letters/discard`, { ...form, headers: { ...form.headers, authorization: basicAuth, origin: "https://evil.example" } });
    assert.equal(crossSite.status, 403);
    const anonymous = await fetch(`${adminBase}/dead-letters/`);
    assert.equal(anonymous.status, 401, "the example asks for the admin password");
    assert.equal((await fetch(`${readOnlyBase}/dead-letters/${seq}`)).status, 200, "the dead letter is still there");
  });

  test("the CLI's dead-letters discard is the page's discard: what it removed is gone from the page", async () => {
    const page = await open(admin, `${adminBase}/dead-letters/`);
    const [first, ...rest] = await page.locator("#dead-letters tbody tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-seq")!));
    assert.ok(first && rest.length > 0, "at least two dead letters are kept");
    const env = { NATS_URL: nats!.url };
    const one = await group.run(["dead-letters", "discard", first], { name: "dead-letters discard", cwd: EXAMPLE_DIR, env });
    assert.equal(one.exit?.code, 0, one.output());
    assert.equal((await page.goto(`${adminBase}/dead-letters/${first}`))?.status(), 404);
    const all = await group.run(["dead-letters", "discard", "--all"], { name: "dead-letters discard --all", cwd: EXAMPLE_DIR, env });
    assert.equal(all.exit?.code, 0, all.output());
    assert.deepEqual(all.stdoutLines.filter(Boolean), [`discarded ${rest.length}/${rest.length}`]);
    await page.goto(`${adminBase}/dead-letters/`);
    assert.equal(await page.locator("#dead-letters").count(), 0);
    assert.match(await page.locator("main").innerText(), /No dead letters\./);
    await page.close();
  });

  test("the overview shows the connection, the streams and the live processes", async () => {
    const page = await openShowing(admin, `${adminBase}/`, async (shown) => /2 live/.test(await shown.locator("dl.facts").innerText()), "both listener processes on the overview");
    const facts = await page.locator("dl.facts").innerText();
    assert.match(facts, new RegExp(`server\\s+127\\.0\\.0\\.1:${nats!.port}`));
    assert.match(facts, /version\s+nats-server \d+\.\d+/);
    assert.match(facts, /listener processes\s+2 live/);
    assert.match(await page.locator("table").first().innerText(), /ORDERS\s+order\.>/);
    assert.equal(await page.locator("svg.chart polyline").count(), 3);
    await page.screenshot({ path: path.join(SCREENSHOTS, "dashboard-overview.png"), fullPage: true });
    await page.close();
  });
});
