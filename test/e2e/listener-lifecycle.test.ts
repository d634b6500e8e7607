// The lifecycle of real register-listeners processes: the `setup` module runs before the
// listener classes are built and its teardown after the drain (also when the drain failed, and
// after a failed start); a setup error or a class that cannot be built fails the start with
// exit 1, a typed error naming the culprit, and nothing created on the server.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { LogLevels, ProcessGroup, fixture, type TestProcess } from "../helpers/processes.js";
import { uniqueName } from "../helpers/unique.js";

const WAIT_MS = 15_000;
const SETUP_MODULE = fixture("setup-module.js");
const DRAINING_LINE = "stopping: draining subscriptions and waiting for handlers in flight";

const group = new ProcessGroup();
let nats: NatsServer | undefined;
let raw: NatsConnection | undefined;
let dir: string | undefined;

before(async () => {
  nats = await startNatsServer();
  raw = await connect({ servers: nats.url });
  dir = await mkdtemp(path.join(os.tmpdir(), "nats-events-lifecycle-"));
});

after(async () => {
  await group.killAll();
  await raw?.close();
  await nats?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A project folder with a nats-events.config.js holding `config`; returns the folder. */
async function project(name: string, config: Record<string, unknown>): Promise<string> {
  const folder = path.join(dir!, name);
  await mkdir(folder);
  await writeFile(path.join(folder, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  await writeFile(path.join(folder, "nats-events.config.js"), `export default ${JSON.stringify(config, null, 2)};\n`);
  return folder;
}

/** Index of the first output line containing `text` (both streams, in arrival order). */
function lineIndex(child: TestProcess, text: string): number {
  const index = child.allLines.findIndex((line) => line.includes(text));
  assert.ok(index >= 0, `no line containing ${JSON.stringify(text)}\n${child.output()}`);
  return index;
}

/** Collects the follow-up events the listener publishes through its injected EventPublisher. */
function followUps(subject: string): { ids: number[]; subscription: Subscription } {
  const ids: number[] = [];
  const subscription = raw!.subscribe(`${subject}.done`, { callback: (_err, msg) => void ids.push((msg.json() as { id: number }).id) });
  return { ids, subscription };
}

test("setup before the classes are built, teardown after the drain: handlers in flight finish with the pool open", async (t) => {
  const subject = `life.${uniqueName("pool")}`;
  const cwd = await project("drain", { transport: "nats", listeners: [fixture("pool.listener.js")], setup: SETUP_MODULE, drainTimeoutMs: 8_000 });
  const done = followUps(subject);
  const listener = await group.listeners([], { name: "pool-listener", cwd, env: { NATS_URL: nats!.url, E2E_POOL_SUBJECT: subject } });
  // The setup ran before the listener classes were built (PoolListener cannot be built without it) and before connecting.
  assert.ok(lineIndex(listener, '"event":"setup"') < lineIndex(listener, '"msg":"connected"'), listener.output());
  assert.ok(listener.logs("running the setup module").some((line) => line.module === SETUP_MODULE && line.level === LogLevels.info), listener.output());

  await raw!.flush();
  for (let id = 1; id <= 5; id++) raw!.publish(subject, JSON.stringify({ id }));
  await listener.waitForEvents("started", 5, WAIT_MS);
  listener.signal("SIGTERM");
  const exit = await listener.waitForExit(WAIT_MS, "exit after SIGTERM");
  done.subscription.unsubscribe();

  assert.deepEqual(exit, { code: 0, signal: null }, listener.output());
  const finished = listener.events("finished");
  assert.equal(finished.length, 5, listener.output());
  assert.ok(finished.every((line) => line.poolOpen === true), "every handler ran with the pool open");
  assert.deepEqual(done.ids.sort(), [1, 2, 3, 4, 5], "the listener's EventPublisher published on the process's connected bus");
  // Order: drain started → handlers finished → drained → teardown → exit line.
  const teardownAt = lineIndex(listener, '"event":"teardown"');
  const lastFinished = Math.max(...listener.allLines.map((line, i) => (line.includes('"event":"finished"') ? i : -1)));
  assert.ok(lineIndex(listener, DRAINING_LINE) < lastFinished, listener.output());
  assert.ok(lastFinished < lineIndex(listener, '"msg":"drained"'), listener.output());
  assert.ok(lineIndex(listener, '"msg":"drained"') < teardownAt, listener.output());
  assert.ok(teardownAt < lineIndex(listener, '"msg":"stopped cleanly"'), listener.output());
  assert.equal(listener.events("teardown").length, 1, "teardown runs once");
  t.diagnostic(`5 handlers in flight at SIGTERM finished with the pool open; teardown ran after "drained"; exit 0`);
});

test("a drain that fails (timeout) still runs the teardown; the process exits 1 naming the drain error", async () => {
  const subject = `life.${uniqueName("timeout")}`;
  const cwd = await project("drain-timeout", { transport: "nats", listeners: [fixture("pool.listener.js")], setup: SETUP_MODULE, drainTimeoutMs: 200 });
  const listener = await group.listeners([], { name: "timeout-listener", cwd, env: { NATS_URL: nats!.url, E2E_POOL_SUBJECT: subject, E2E_POOL_WORK_MS: "60000" } });
  await raw!.flush();
  raw!.publish(subject, JSON.stringify({ id: 1 }));
  await listener.waitForEvents("started", 1, WAIT_MS);
  listener.signal("SIGTERM");
  const exit = await listener.waitForExit(WAIT_MS, "exit after the drain timeout");

  assert.deepEqual(exit, { code: 1, signal: null }, listener.output());
  assert.equal(listener.events("teardown").length, 1, `the teardown did not run after the failed drain\n${listener.output()}`);
  const failedStep = listener.logs("stopping: could not drain the bus")[0];
  assert.equal(failedStep?.code, "EB_ERR_DRAIN_TIMEOUT", listener.output());
  assert.ok(lineIndex(listener, "stopping: could not drain the bus") < lineIndex(listener, '"event":"teardown"'), listener.output());
  assert.ok(listener.logs("stopped with an error").some((line) => line.level === LogLevels.error && String(line.msg).includes("drain timeout")), listener.output());
});

test("a teardown that throws makes the exit 1 with EB_ERR_TEARDOWN", async () => {
  const subject = `life.${uniqueName("teardown")}`;
  const cwd = await project("teardown-fails", { transport: "nats", listeners: [fixture("pool.listener.js")], setup: SETUP_MODULE });
  const listener = await group.listeners([], { name: "teardown-listener", cwd, env: { NATS_URL: nats!.url, E2E_POOL_SUBJECT: subject, E2E_TEARDOWN_FAIL: "1" } });
  listener.signal("SIGTERM");
  const exit = await listener.waitForExit(WAIT_MS);
  assert.deepEqual(exit, { code: 1, signal: null }, listener.output());
  const failed = listener.logs("stopping: could not run the setup module's teardown")[0];
  assert.equal(failed?.code, "EB_ERR_TEARDOWN", listener.output());
  assert.match(String(failed?.error), /teardown of setup module .*setup-module\.js failed: pool\.end\(\) timed out/);
});

for (const [name, env, expected] of [
  ["its function throws", { NATS_EVENTS_SETUP: SETUP_MODULE, E2E_SETUP_FAIL: "1" }, /EB_ERR_SETUP: setup module \S*setup-module\.js failed: cannot reach the database at db\.invalid:5432/],
  ["it does not exist", { NATS_EVENTS_SETUP: "./dist/no-such-setup.js" }, /EB_ERR_SETUP: setup module "\.\/dist\/no-such-setup\.js" not found \(resolved to \S*no-such-setup\.js, relative to .*\); did you build the project\?/],
  ["it exports no function", { NATS_EVENTS_SETUP: fixture("emit.js") }, /EB_ERR_SETUP: setup module \S*emit\.js must export a function/],
] as const) {
  test(`setup module: ${name} → exit 1 with EB_ERR_SETUP naming the module, before connecting`, async () => {
    const subject = `life.${uniqueName("setup")}`;
    const child = await group.run(["register-listeners", fixture("pool.listener.js")], { name: `setup-${name}`, env: { NATS_URL: nats!.url, E2E_POOL_SUBJECT: subject, ...env } });
    assert.equal(child.exit?.code, 1, child.output());
    assert.match(child.stderrLines.join("\n"), expected, child.output());
    assert.equal(child.logs("connected").length, 0, `it connected anyway\n${child.output()}`);
  });
}

test("a listener class that cannot be built: exit 1 naming the class, no consumer created, teardown ran", async (t) => {
  const stream = uniqueName("LIFE").toUpperCase().replace(/-/g, "_");
  const prefix = `life.${uniqueName("unbuildable")}`;
  const deadLetterStream = `${stream}_DLQ`;
  const cwd = await project("unbuildable", {
    transport: "jetstream",
    streams: [{ name: stream, subjects: [`${prefix}.>`] }],
    deadLetterStream,
    // The buildable one first: its consumer must not be created either.
    listeners: [fixture("pool.listener.js"), fixture("unbuildable.listener.js")],
    setup: SETUP_MODULE,
  });
  const child = await group.run(["register-listeners"], {
    name: "unbuildable",
    cwd,
    env: { NATS_URL: nats!.url, E2E_POOL_SUBJECT: `${prefix}.pool`, E2E_UNBUILDABLE_SUBJECT: `${prefix}.unbuildable` },
  });
  assert.equal(child.exit?.code, 1, child.output());
  assert.match(child.stderrLines.join("\n"), /EB_ERR_LISTENER_RESOLVE: cannot build listener class UnbuildableListener \(for UnbuildableListener\.handle\)/, child.output());
  assert.equal(child.events("teardown").length, 1, `the setup's teardown did not run after the failed start\n${child.output()}`);

  // The streams (configured and dead-letter) are created on connect (createStreamsOnConnect, as the
  // web process does); the listeners' own part, their durable consumers, must not exist.
  const jsm = await jetstreamManager(raw!);
  for (const name of [stream, deadLetterStream]) {
    const consumers = await jsm.consumers.list(name).next();
    assert.deepEqual(consumers.map((consumer) => consumer.name), [], `a consumer was created on ${name}\n${child.output()}`);
  }
  assert.equal(child.logs("create consumer").length, 0, child.output());
  t.diagnostic(`stderr: ${child.stderrLines.join(" ").slice(0, 300)}`);
});

test("nats-events listeners runs the setup module before its offline build check, and its teardown after", async () => {
  const cwd = await project("offline-check", { transport: "nats", listeners: [fixture("pool.listener.js")], setup: SETUP_MODULE });
  const child = await group.run(["listeners"], { name: "offline-check", cwd, env: { E2E_POOL_SUBJECT: `life.${uniqueName("offline")}` } });
  // PoolListener injects what only the setup registers: without the setup this exits 1 with EB_ERR_LISTENER_RESOLVE.
  assert.equal(child.exit?.code, 0, child.output());
  assert.ok(child.stdoutLines.some((line) => line.includes("PoolListener.")), `PoolListener is not in the table\n${child.output()}`);
  assert.equal(child.events("setup").length, 1, child.output());
  assert.equal(child.events("teardown").length, 1, child.output());
});
