// The first hour of a new user, for real: this repository packed with `npm pack`, installed into a
// fresh project, `nats-events init`, built with tsc, and run under pm2-runtime against a nats-server
// this test starts. The package is installed once for the file: every project is a folder under the
// install root, so Node and tsc find the one node_modules above them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort, startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { ProcessGroup, ROOT, fetchJson, type TestProcess } from "../helpers/processes.js";

const INSTALL_TIMEOUT_MS = 240_000;
const STEP_TIMEOUT_MS = 60_000;
/** What the user's own app needs next to the package; versions as in this repository's lockfile. */
const APP_DEPENDENCIES = ["express", "tsyringe", "reflect-metadata", "typescript", "@types/node", "@types/express"];

const group = new ProcessGroup();
let installRoot: string;
const servers: NatsServer[] = [];

function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

/** Runs a command to its end; fails with its output unless it exits 0. */
async function run(name: string, command: string, args: readonly string[], cwd: string, timeoutMs = STEP_TIMEOUT_MS): Promise<TestProcess> {
  const child = group.spawn(command, args, { name, cwd });
  const exit = await child.waitForExit(timeoutMs, `${name} to finish`);
  assert.equal(exit.code, 0, `${name} failed\n${child.output(80)}`);
  return child;
}

/** The package's CLI as `npx nats-events` would run it from the project. */
function natsEvents(project: string, args: readonly string[], name = `nats-events ${args[0]}`): Promise<TestProcess> {
  return run(name, process.execPath, [path.join(installRoot, "node_modules/express-nats-events/dist/src/cli/main.js"), ...args], project);
}

/** A port whose next one is free too: pm2's increment_var gives the second listener port + 1. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const taken = await new Promise<boolean>((resolve) => {
      const probe = net.createServer().once("error", () => resolve(true));
      probe.listen(port + 1, "127.0.0.1", () => probe.close(() => resolve(false)));
    });
    if (!taken) return port;
  }
}

/** The user's web server, as the README's "Connect the bus" and "Publish from a route" write it. */
const SERVER_TS = `import "reflect-metadata";
import express from "express";
import { container, injectable } from "tsyringe";
import { EventBus, EventPublisher, connectWithRetry, eventBusErrorHandler, eventContext, healthHandler, route } from "express-nats-events";

@injectable()
class GreetingsController {
  constructor(private readonly events: EventPublisher) {}

  async greet(req: express.Request, res: express.Response): Promise<void> {
    await this.events.publish("hello.greeted", { name: String(req.body.name) });
    res.status(202).json({ greeted: req.body.name });
  }
}

const app = express();
app.use(eventContext());
app.use(express.json());
app.post("/greet", route(GreetingsController, "greet"));
app.get("/healthz", healthHandler());
app.use(eventBusErrorHandler());

// HTTP first: while NATS connects, requests get 503 instead of a refused connection.
const bus = container.resolve(EventBus);
app.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("web: listening"));
connectWithRetry(bus, {}).then(() => process.send?.("ready"));
`;

/** A project as its owner left it before trying this library: its own tsconfig (with comments), no decorator flags. */
async function createProject(name: string, pkg: Record<string, unknown>, compilerOptions: Record<string, unknown>): Promise<string> {
  const dir = path.join(installRoot, name);
  await mkdir(path.join(dir, "src"), { recursive: true });
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true, main: "dist/server.js", ...pkg }, null, 2));
  const options = { target: "es2022", ...compilerOptions, rootDir: "src", outDir: "dist", strict: true, skipLibCheck: true, types: ["node"] };
  await writeFile(path.join(dir, "tsconfig.json"), `{\n  // ${name}'s own settings\n  "compilerOptions": ${JSON.stringify(options, null, 4).replace(/\n}/, "\n  }")},\n  "include": ["src"],\n}\n`);
  await writeFile(path.join(dir, "src/server.ts"), SERVER_TS);
  return dir;
}

/** init --yes, then tsc; checks what init reported and that the user's tsconfig kept its own lines. */
async function initAndBuild(dir: string, format: string): Promise<void> {
  const init = await natsEvents(dir, ["init", "--yes"]);
  const report = init.stdoutLines.join("\n");
  assert.match(report, new RegExp(`nats-events init \\(${format}, TypeScript\\)`));
  for (const created of ["nats-events.config.js", "ecosystem.config.js", "src/listeners/hello.listener.ts"]) assert.match(report, new RegExp(`created  ${created.replace(/\./g, "\\.")}`));
  assert.match(report, /updated  tsconfig\.json/);
  const tsconfig = await readFile(path.join(dir, "tsconfig.json"), "utf8");
  assert.match(tsconfig, /own settings/, "the user's comment is kept");
  assert.match(tsconfig, /"experimentalDecorators": true/);
  await run(`tsc ${path.basename(dir)}`, process.execPath, [path.join(installRoot, "node_modules/typescript/bin/tsc"), "-p", dir], dir);
  const listeners = await natsEvents(dir, ["listeners"]);
  assert.match(listeners.stdoutLines.join("\n"), /HelloListener\.onGreeted\s+hello\.greeted\s+hello-workers\s+100\s+HELLO\/hello-workers__hello_greeted/);
}

/** `pm2-runtime start ecosystem.config.js` in the project, as init's next steps say. */
async function startPm2(dir: string, natsUrl: string, listenerInstances: number): Promise<{ pm2: TestProcess; port: number }> {
  const port = await freePort();
  const pm2 = group.spawn(path.join(installRoot, "node_modules/.bin/pm2-runtime"), ["start", "ecosystem.config.js"], {
    name: `pm2-runtime ${path.basename(dir)}`,
    cwd: dir,
    env: { NATS_URL: natsUrl, PORT: String(port), NATS_EVENTS_HEALTH_PORT: String(await freePortPair()), LISTENER_INSTANCES: String(listenerInstances), PM2_HOME: path.join(dir, ".pm2") },
    processGroup: true,
  });
  return { pm2, port };
}

/** Every listener instance subscribed and the web process up (it sends "ready" once connected). */
async function waitUntilRunning(pm2: TestProcess, app: string, listenerInstances: number): Promise<void> {
  await pm2.waitUntil(() => pm2.logs().filter((line) => line.msg === "ready").length >= listenerInstances, STEP_TIMEOUT_MS, `${listenerInstances} listener process(es) to log ready`);
  await pm2.waitForLine(`App [${app}-web:0] online`, STEP_TIMEOUT_MS, "the web app online");
}

/** POST /greet and the sample listener's line for it, matched by correlation id. */
async function greetAndSeeHandled(pm2: TestProcess, port: number, correlationId: string): Promise<void> {
  const answer = await fetchJson(`http://127.0.0.1:${port}/greet`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-correlation-id": correlationId },
    body: JSON.stringify({ name: "Ada" }),
  });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  let handled: Record<string, unknown> | undefined;
  const isOurs = (line: Record<string, unknown>) => line.msg === "hello.greeted handled" && line.correlationId === correlationId;
  await pm2.waitUntil(() => (handled = pm2.json().find(isOurs)) !== undefined, STEP_TIMEOUT_MS, `"hello.greeted handled" for ${correlationId}`);
  assert.deepEqual({ ...handled, pid: undefined }, { msg: "hello.greeted handled", name: "Ada", subject: "hello.greeted", correlationId, pid: undefined });
}

/** SIGINT, as Ctrl+C: pm2-runtime stops the apps, each listener drains and exits cleanly. */
async function stopPm2(pm2: TestProcess, listenerInstances: number): Promise<void> {
  pm2.signal("SIGINT");
  await pm2.waitForExit(STEP_TIMEOUT_MS, "pm2-runtime to stop its apps and exit");
  assert.equal(pm2.logs().filter((line) => line.msg === "stopped cleanly").length, listenerInstances, pm2.output(80));
}

before(async () => {
  installRoot = await mkdtemp(path.join(os.tmpdir(), "nats-events-init-"));
  const pack = await run("npm pack", "npm", ["pack", ROOT, "--pack-destination", installRoot, "--silent"], installRoot);
  const tarball = pack.stdoutLines.filter(Boolean).at(-1)!;
  await writeFile(path.join(installRoot, "package.json"), JSON.stringify({ name: "install-root", private: true }));
  await run(
    "npm install",
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", `./${tarball}`, ...APP_DEPENDENCIES.map((name) => `${name}@${installedVersion(name)}`)],
    installRoot,
    INSTALL_TIMEOUT_MS,
  );
}, { timeout: INSTALL_TIMEOUT_MS + 30_000 });

after(async () => {
  await group.killAll();
  await Promise.all(servers.map((server) => server.stop()));
  if (installRoot) await rm(installRoot, { recursive: true, force: true });
});

describe("nats-events init in a new project, installed from npm pack", () => {
  test("ES module TypeScript project: init, tsc, pm2-runtime; a POST reaches the sample listener", { timeout: 4 * STEP_TIMEOUT_MS }, async () => {
    const nats = await startNatsServer();
    servers.push(nats);
    const dir = await createProject("esm-shop", { type: "module" }, { module: "nodenext", moduleResolution: "nodenext" });
    await initAndBuild(dir, "ES module");
    assert.match(await readFile(path.join(dir, "nats-events.config.js"), "utf8"), /^export default \{/m);

    // The ecosystem file's default: two listener processes, health ports 9464 + n (here a free pair).
    const { pm2, port } = await startPm2(dir, nats.url, 2);
    await waitUntilRunning(pm2, "esm-shop", 2);
    await greetAndSeeHandled(pm2, port, "esm-first-hour");
    await stopPm2(pm2, 2);
  });

  test("CommonJS TypeScript project (module commonjs): 503 while NATS is away, then web → register-listeners", { timeout: 4 * STEP_TIMEOUT_MS }, async () => {
    const dir = await createProject("cjs-shop", {}, { module: "commonjs", esModuleInterop: true });
    await initAndBuild(dir, "CommonJS");
    assert.match(await readFile(path.join(dir, "nats-events.config.js"), "utf8"), /^module\.exports = \{/m);

    // No server yet on this port: everything starts, and the web server answers while it waits.
    const natsPort = await freePort();
    const { pm2, port } = await startPm2(dir, `nats://127.0.0.1:${natsPort}`, 1);
    await pm2.waitForLine("web: listening", STEP_TIMEOUT_MS, "the web server listening");
    const early = await fetchJson(`http://127.0.0.1:${port}/greet`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-correlation-id": "cjs-too-early" },
      body: JSON.stringify({ name: "Ada" }),
    });
    assert.equal(early.status, 503, JSON.stringify(early.body));
    assert.equal(early.body.error, "EB_ERR_NOT_CONNECTED");
    assert.equal(early.body.correlationId, "cjs-too-early");
    const logged = await pm2.waitForLog("answered 503 EB_ERR_NOT_CONNECTED", STEP_TIMEOUT_MS);
    assert.equal(logged.correlationId, "cjs-too-early");
    assert.match(String((logged.err as { stack?: string } | undefined)?.stack), /EventBusError/, "the log line carries the stack");

    const nats = await startNatsServer({ port: natsPort });
    servers.push(nats);
    await waitUntilRunning(pm2, "cjs-shop", 1);
    await greetAndSeeHandled(pm2, port, "cjs-first-hour");
    await stopPm2(pm2, 1);
  });

  test("docs/operations.md's pm2 ecosystem snippet, as written, finds the installed package's CLI", async () => {
    const page = await readFile(path.join(ROOT, "docs/operations.md"), "utf8");
    const snippet = /### pm2[\s\S]*?```js\n([\s\S]*?)```/.exec(page)?.[1];
    assert.ok(snippet?.includes("module.exports"), "the pm2 section has a whole ecosystem file");
    const dir = path.join(installRoot, "ops-snippet");
    await mkdir(dir);
    await writeFile(path.join(dir, "ecosystem.config.cjs"), snippet!);
    // What pm2 does with the file: require() it and read `apps` (starting it would bind the snippet's fixed ports).
    const loaded = await run("require the snippet", process.execPath, ["-p", "JSON.stringify(require('./ecosystem.config.cjs').apps)"], dir);
    const [app] = JSON.parse(loaded.stdoutLines.join("")) as Array<{ script: string; args: string[] }>;
    assert.equal(app!.script, path.join(installRoot, "node_modules/express-nats-events/dist/src/cli/main.js"));
    assert.deepEqual(app!.args, ["register-listeners"]);
  });

  test("plain JavaScript project: init writes a defineListener sample that register-listeners runs", { timeout: 2 * STEP_TIMEOUT_MS }, async () => {
    const nats = await startNatsServer();
    servers.push(nats);
    const dir = path.join(installRoot, "js-shop");
    await mkdir(dir);
    await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "js-shop", version: "1.0.0", private: true, main: "server.js" }));
    const init = await natsEvents(dir, ["init"]);
    assert.match(init.stdoutLines.join("\n"), /nats-events init \(CommonJS, JavaScript\)[\s\S]*created  listeners\/hello\.listener\.js/);
    assert.match(await readFile(path.join(dir, "listeners/hello.listener.js"), "utf8"), /defineListener\(HelloListener/);

    const cli = path.join(installRoot, "node_modules/express-nats-events/dist/src/cli/main.js");
    const listener = group.spawn(process.execPath, [cli, "register-listeners"], { name: "js-shop listeners", cwd: dir, env: { NATS_URL: nats.url }, ipc: true });
    await listener.waitForReady(STEP_TIMEOUT_MS);
    await natsEvents(dir, ["publish", "hello.greeted", '{"name":"Grace"}', "-s", nats.url]);
    await listener.waitUntil(() => listener.json().some((line) => line.msg === "hello.greeted handled" && line.name === "Grace"), STEP_TIMEOUT_MS, "the plain-JS listener to handle the event");
    listener.signal("SIGTERM");
    assert.equal((await listener.waitForExit(STEP_TIMEOUT_MS)).code, 0, listener.output());
  });
});
