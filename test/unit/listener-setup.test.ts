// runListenerSetup(): what a setup module may export and return, and how its failures are named.
import "reflect-metadata";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { container } from "tsyringe";
import { EventBus, defaultOptions } from "../../src/index.js";
import { runListenerSetup, type ListenerSetupContext } from "../../src/lifecycle/listener-setup.js";
import { errorWithCode } from "../helpers/assertions.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "nats-events-setup-"));
});
after(() => rm(dir, { recursive: true, force: true }));

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const context = (): ListenerSetupContext => ({ container: container.createChildContainer(), bus: new EventBus(), logger: silent, options: defaultOptions });

async function moduleFile(name: string, source: string): Promise<string> {
  await writeFile(path.join(dir, name), source);
  return name;
}

test("a named `setup` export is used; it gets the container; no return value means no teardown", async () => {
  const file = await moduleFile("named.mjs", 'export function setup({ container }) { container.register("Answer", { useValue: 42 }); }\n');
  const ctx = context();
  assert.equal(await runListenerSetup(file, dir, ctx), undefined);
  assert.equal(ctx.container.resolve("Answer"), 42);
});

test("the returned teardown runs when called; what it throws becomes EB_ERR_TEARDOWN naming the module", async () => {
  const file = await moduleFile("teardown.mjs", 'export default () => () => { throw new Error("pool.end() failed"); };\n');
  const teardown = await runListenerSetup(file, dir, context());
  assert.equal(typeof teardown, "function");
  await assert.rejects(Promise.resolve().then(() => teardown!()), errorWithCode("EB_ERR_TEARDOWN", path.join(dir, file), "pool.end() failed"));
});

test("a setup that returns something other than nothing or a function: EB_ERR_SETUP", async () => {
  const file = await moduleFile("returns-object.mjs", "export default async () => ({ close() {} });\n");
  await assert.rejects(runListenerSetup(file, dir, context()), errorWithCode("EB_ERR_SETUP", path.join(dir, file), "returned an object; return nothing or a teardown function"));
});

test("a module that throws while being imported: EB_ERR_SETUP with the import error", async () => {
  const file = await moduleFile("broken.mjs", 'throw new Error("DATABASE_URL is not set");\n');
  await assert.rejects(runListenerSetup(file, dir, context()), errorWithCode("EB_ERR_SETUP", `cannot load setup module ${path.join(dir, file)}: DATABASE_URL is not set`));
});
