// Request-reply through HTTP: the example app's GET /quote/:sku asks a pool of
// three register-listeners processes (queue group "quote-workers") over NATS.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { EXAMPLE_DIR, EXAMPLE_SERVER, ProcessGroup, fetchJson, type TestProcess } from "../helpers/processes.js";

const PRICES: Record<string, number> = { "BOOK-1": 12.5, "MUG-2": 8, "TEE-3": 19.9 };
const SKUS = Object.keys(PRICES);
const SEQUENTIAL = 20;
const CONCURRENT = 40;
// requestTimeoutMs in example-app/nats-events.config.js: "no responders" must come well before it.
const REQUEST_TIMEOUT_MS = 2_000;

const group = new ProcessGroup();
let nats: NatsServer | undefined;
let web: TestProcess;
let workers: TestProcess[] = [];
let base: string;

before(async () => {
  nats = await startNatsServer(); // the example app runs on JetStream (example-app/nats-events.config.js)
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = { NATS_URL: nats.url };
  web = group.spawn(process.execPath, [EXAMPLE_SERVER], { name: "web", cwd: EXAMPLE_DIR, env: { ...env, PORT: String(port) }, ipc: true });
  const starting = [1, 2, 3].map((n) => group.listeners([], { name: `worker-${n}`, cwd: EXAMPLE_DIR, env }));
  [workers] = await Promise.all([Promise.all(starting), web.waitForReady()]);
});

after(async () => {
  await group.killAll();
  await nats?.stop();
});

describe("GET /quote/:sku against three worker processes", () => {
  test(`${SEQUENTIAL + CONCURRENT} requests are each answered once, by more than one worker`, async (t) => {
    const ask = async (n: number) => {
      const sku = SKUS[n % SKUS.length]!;
      const { status, body } = await fetchJson(`${base}/quote/${sku}`);
      assert.equal(status, 200, `request ${n} (${sku}): ${JSON.stringify(body)}`);
      return { sku, body };
    };
    const answers = [];
    for (let n = 0; n < SEQUENTIAL; n++) answers.push(await ask(n));
    answers.push(...(await Promise.all(Array.from({ length: CONCURRENT }, (_, n) => ask(SEQUENTIAL + n)))));

    const workerPids = new Set(workers.map((worker) => `pid ${worker.pid}`));
    const byWorker = new Map<string, number>();
    for (const { sku, body } of answers) {
      assert.deepEqual({ ...body, worker: undefined }, { sku, unitPrice: PRICES[sku], currency: "EUR", worker: undefined });
      assert.ok(workerPids.has(body.worker as string), `answer from an unknown worker: ${JSON.stringify(body)}`);
      byWorker.set(body.worker as string, (byWorker.get(body.worker as string) ?? 0) + 1);
    }
    assert.equal(answers.length, SEQUENTIAL + CONCURRENT);
    assert.ok(byWorker.size > 1, `all answers came from one worker: ${JSON.stringify([...byWorker])}`);
    t.diagnostic(`answers per worker: ${[...byWorker].map(([worker, count]) => `${worker}: ${count}`).join(", ")}`);
  });

  test("an unknown sku is a 404 carrying the responder's error code", async () => {
    const { status, body } = await fetchJson(`${base}/quote/NOPE-9`);
    assert.equal(status, 404);
    assert.deepEqual(body, { error: "UNKNOWN_SKU", message: 'unknown sku "NOPE-9"' });
  });

  test("with every worker stopped, /quote answers 503 EB_ERR_NO_RESPONDERS at once (no wait for the timeout)", async (t) => {
    for (const worker of workers) worker.signal("SIGTERM");
    const exits = await Promise.all(workers.map((worker) => worker.waitForExit(10_000, "the worker to drain and exit after SIGTERM")));
    assert.deepEqual(exits.map((exit) => exit.code), [0, 0, 0]);

    const { status, body, elapsedMs } = await fetchJson(`${base}/quote/BOOK-1`, { headers: { "x-correlation-id": "quote-without-workers" } });
    assert.equal(status, 503);
    assert.equal(body.error, "EB_ERR_NO_RESPONDERS");
    assert.equal(body.correlationId, "quote-without-workers");
    // The client is not told the subject; the web process's log is, with the correlation id to find it by.
    assert.doesNotMatch(String(body.message), /quote\.get/);
    const logged = await web.waitForLog("answered 503 EB_ERR_NO_RESPONDERS", 5_000);
    assert.equal(logged.correlationId, "quote-without-workers");
    assert.match(String(logged.msg), /quote\.get/);
    assert.ok(elapsedMs < REQUEST_TIMEOUT_MS / 2, `503 took ${Math.round(elapsedMs)} ms; the request timeout is ${REQUEST_TIMEOUT_MS} ms`);
    const health = await fetchJson(`${base}/healthz`);
    assert.equal(health.status, 200, "the web process itself stays healthy");
    t.diagnostic(`503 EB_ERR_NO_RESPONDERS after ${Math.round(elapsedMs)} ms`);
  });
});
