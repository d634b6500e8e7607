// node-nats-streaming is an optional peer dependency: importing the package and using the
// other transports must work without it, and the stan transport must say how to get it.
// A child process runs with a module-resolution hook that makes node-nats-streaming (and
// its nats 1.x client) impossible to find, as in a project that never installed it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.js";
import { ROOT } from "../helpers/processes.js";

const HOOKS = `
const hidden = new Set(["node-nats-streaming", "nats"]);
export async function resolve(specifier, context, next) {
  const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
  if (hidden.has(name)) {
    const error = new Error("Cannot find package '" + name + "' imported from " + context.parentURL);
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}
`;

// Runs inside the package directory, importing it by its name like a user would.
const CHILD = `
import "reflect-metadata";
const results = {};
const record = async (name, action) => {
  try { results[name] = { ok: true, value: await action() }; }
  catch (err) { results[name] = { ok: false, code: err.code, message: err.message }; }
};
const events = await import("express-nats-events");
const { EventBus, Listen } = events;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function roundTrip(transport, servers) {
  const subject = "without-stan." + transport + "." + process.pid;
  let resolveSeen;
  const seen = new Promise((resolve) => (resolveSeen = resolve));
  class Recorder { handle(data) { resolveSeen(data); } }
  Listen(subject)(Recorder.prototype, "handle", Object.getOwnPropertyDescriptor(Recorder.prototype, "handle"));
  const bus = new EventBus();
  await bus.connect({ transport, servers, logger: silent, env: {}, cwd: process.cwd() });
  try {
    await bus.listen([Recorder]);
    await bus.publish(subject, { via: transport });
    return await seen;
  } finally {
    await bus.close();
  }
}

await record("hidden", () => import("node-nats-streaming"));
await record("memory", () => roundTrip("memory"));
await record("nats", () => roundTrip("nats", [process.env.TEST_NATS_URL]));
await record("stan", async () => {
  const bus = new EventBus();
  await bus.connect({ transport: "stan", servers: [process.env.TEST_NATS_URL], logger: silent, env: {}, cwd: process.cwd() });
  await bus.close();
});
await record("stanSubpath", async () => Object.keys(await import("express-nats-events/stan")).sort());
process.stdout.write(JSON.stringify(results));
`;

let nats: NatsServer;
let dir: string;

before(async () => {
  nats = await startNatsServer({ jetstream: false });
  dir = await mkdtemp(path.join(os.tmpdir(), "nats-events-without-stan-"));
  await writeFile(path.join(dir, "hooks.mjs"), HOOKS);
  await writeFile(path.join(dir, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(path.join(dir, "hooks.mjs")).href)});\n`);
});

after(async () => {
  await nats?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Result {
  ok: boolean;
  value?: unknown;
  code?: string;
  message?: string;
}

function runChild(): Promise<Record<string, Result>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", pathToFileURL(path.join(dir, "register.mjs")).href, "--input-type=module", "-e", CHILD], {
      cwd: ROOT,
      env: { ...process.env, TEST_NATS_URL: nats.url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout) as Record<string, Result>);
      } catch {
        reject(new Error(`child exited ${code} without results.\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
    });
  });
}

test("without node-nats-streaming: the package imports, memory and nats work, stan explains what to install", { timeout: 30_000 }, async () => {
  const results = await runChild();
  assert.equal(results.hidden!.ok, false, "the hook really hides node-nats-streaming");
  assert.deepEqual(results.memory, { ok: true, value: { via: "memory" } });
  assert.deepEqual(results.nats, { ok: true, value: { via: "nats" } });
  assert.equal(results.stan!.ok, false);
  assert.equal(results.stan!.code, "EB_ERR_OPTIONAL_DEPENDENCY");
  assert.match(results.stan!.message!, /npm install node-nats-streaming/);
  assert.equal(results.stanSubpath!.ok, true, `the stan subpath imports without it too: ${results.stanSubpath!.message}`);
  assert.ok((results.stanSubpath!.value as string[]).includes("StanTransport"));
});
