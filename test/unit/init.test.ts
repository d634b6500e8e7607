// nats-events init without installing anything: what it writes, what it refuses to touch, and its
// errors. (test/e2e/init-project.test.ts builds and runs what it writes, from npm pack.)
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { mergeCompilerOptions, missingCompilerOptions } from "../../src/cli/init-tsconfig.js";
import { ProcessGroup } from "../helpers/processes.js";

const group = new ProcessGroup();
let root: string;
let counter = 0;

async function project(files: Record<string, string>): Promise<string> {
  const dir = path.join(root, `project-${++counter}`);
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return dir;
}

/** `nats-events init` with stdin not a terminal (nobody to ask). */
function init(dir: string, ...args: string[]) {
  return group.run(["init", ...args], { name: "nats-events init", cwd: dir });
}

before(async () => (root = await mkdtemp(path.join(os.tmpdir(), "nats-events-init-unit-"))));
after(async () => {
  await group.killAll();
  await rm(root, { recursive: true, force: true });
});

describe("init: the tsconfig merge", () => {
  const text = '{\n  // mine\n  "compilerOptions": {\n    "strict": true, // keep\n    "emitDecoratorMetadata": false,\n  },\n}\n';

  test("finds the flags that are missing or off", () => {
    assert.deepEqual(missingCompilerOptions({ compilerOptions: { emitDecoratorMetadata: false } }), ["experimentalDecorators", "emitDecoratorMetadata"]);
    assert.deepEqual(missingCompilerOptions({ compilerOptions: { experimentalDecorators: true, emitDecoratorMetadata: true } }), []);
  });

  test("sets them and keeps comments, trailing commas and every other option", () => {
    const merged = mergeCompilerOptions(text, ["experimentalDecorators", "emitDecoratorMetadata"]);
    assert.match(merged, /\/\/ mine/);
    assert.match(merged, /"strict": true, \/\/ keep/);
    assert.match(merged, /"emitDecoratorMetadata": true/);
    assert.match(merged, /"experimentalDecorators": true/);
    assert.doesNotMatch(merged, /false/);
  });
});

describe("init: never overwrites, never guesses", () => {
  test("without a terminal and without --yes an existing tsconfig.json stays as it is; a second run keeps every file", async () => {
    const tsconfig = '{ "compilerOptions": { "outDir": "build" } }\n';
    const dir = await project({ "package.json": '{ "name": "shop", "type": "module" }', "tsconfig.json": tsconfig });
    const first = await init(dir);
    assert.equal(first.exit?.code, 0, first.output());
    assert.equal(await readFile(path.join(dir, "tsconfig.json"), "utf8"), tsconfig);
    assert.match(first.stdoutLines.join("\n"), /kept {5}tsconfig\.json unchanged: add "experimentalDecorators": true, "emitDecoratorMetadata": true .*nats-events init --yes/);
    assert.match(await readFile(path.join(dir, "nats-events.config.js"), "utf8"), /listeners: \["build\/\*\*\/\*\.listener\.js"\]/, "the listener glob follows the project's outDir");
    await writeFile(path.join(dir, "nats-events.config.js"), "export default { name: 'edited' };\n");
    const second = await init(dir, "--yes");
    assert.equal(second.exit?.code, 0, second.output());
    assert.equal(await readFile(path.join(dir, "nats-events.config.js"), "utf8"), "export default { name: 'edited' };\n");
    assert.match(second.stdoutLines.join("\n"), /kept {5}ecosystem\.config\.js \(it exists; nothing changed; add an app/);
    assert.match(await readFile(path.join(dir, "tsconfig.json"), "utf8"), /"experimentalDecorators": true/, "--yes changes it");
  });

  test("no package.json, or a tsconfig.json that is not JSON: EB_ERR_INIT, nothing written", async () => {
    const empty = await project({});
    const noPackage = await init(empty);
    assert.equal(noPackage.exit?.code, 1);
    assert.match(noPackage.stderrLines.join("\n"), /EB_ERR_INIT: no package\.json in .*npm init -y/);
    const broken = await project({ "package.json": "{}", "tsconfig.json": '{\n  "compilerOptions": {\n    "strict": true\n    "outDir": "dist"\n  }\n}\n' });
    const run = await init(broken);
    assert.equal(run.exit?.code, 1);
    assert.match(run.stderrLines.join("\n"), /EB_ERR_INIT: cannot read .*tsconfig\.json \(line 4, column 5\): CommaExpected/);
    assert.equal(existsSync(path.join(broken, "nats-events.config.js")), false);
  });
});
