// @msgpack/msgpack is an optional peer dependency: the package (contracts and JSON codecs
// included) must work without it, and express-nats-events/msgpack must say how to get it.
// A child process runs with a module-resolution hook that makes @msgpack/msgpack impossible
// to find, as in a project that never installed it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { ROOT } from "../helpers/processes.js";

const HOOKS = `
export async function resolve(specifier, context, next) {
  if (specifier === "@msgpack/msgpack" || specifier.startsWith("@msgpack/msgpack/")) {
    const error = new Error("Cannot find package '@msgpack/msgpack' imported from " + context.parentURL);
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
await record("hidden", () => import("@msgpack/msgpack"));
await record("contracts", async () => {
  const { EventBus, JsonCodec, Listen, MemoryTransport, defineEvent, unchecked } = await import("express-nats-events");
  const Ping = defineEvent("without-msgpack.ping", unchecked(), { codec: new JsonCodec({ keys: "snake_case" }) });
  let seen;
  const got = new Promise((resolve) => (seen = resolve));
  class Recorder { handle(data) { seen(data); } }
  Listen(Ping)(Recorder.prototype, "handle", Object.getOwnPropertyDescriptor(Recorder.prototype, "handle"));
  const bus = new EventBus();
  await bus.connect({ transportInstance: new MemoryTransport(), logger: { debug() {}, info() {}, warn() {}, error() {} }, env: {}, cwd: process.cwd() });
  try {
    await bus.listen([Recorder]);
    await bus.publish(Ping, { sentBy: "memory" });
    return await got;
  } finally {
    await bus.close();
  }
});
await record("msgpack", () => import("express-nats-events/msgpack"));
process.stdout.write(JSON.stringify(results));
`;

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "nats-events-without-msgpack-"));
  await writeFile(path.join(dir, "hooks.mjs"), HOOKS);
  await writeFile(path.join(dir, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(path.join(dir, "hooks.mjs")).href)});\n`);
});

after(async () => rm(dir, { recursive: true, force: true }));

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

test("without @msgpack/msgpack: contracts and JSON codecs work, express-nats-events/msgpack explains what to install", { timeout: 30_000 }, async () => {
  const results = await runChild();
  assert.equal(results.hidden!.ok, false, "the hook really hides @msgpack/msgpack");
  assert.deepEqual(results.contracts, { ok: true, value: { sentBy: "memory" } });
  assert.equal(results.msgpack!.ok, false);
  assert.equal(results.msgpack!.code, "EB_ERR_OPTIONAL_DEPENDENCY");
  assert.match(results.msgpack!.message!, /the MessagePack codec needs the @msgpack\/msgpack package, which is not installed .*npm install @msgpack\/msgpack/);
});
