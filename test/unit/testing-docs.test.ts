import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

// This file runs from dist/test/unit; the page lives in the repository's docs/.
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const tsc = path.join(repo, "node_modules/typescript/bin/tsc");

/** Every ```ts block of the page that starts with `// file: <name>`, by name. */
async function documentedFiles(): Promise<Map<string, string>> {
  const markdown = await readFile(path.join(repo, "docs/testing.md"), "utf8");
  const files = new Map<string, string>();
  for (const [, body] of markdown.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const name = /^\/\/ file: (\S+)\n/.exec(body!)?.[1];
    if (name) files.set(name, body!);
  }
  return files;
}

function run(args: string[], cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Without NODE_TEST_CONTEXT, so the child's `node --test` runs its files instead of reporting to us.
    const { NODE_TEST_CONTEXT: _inherited, ...env } = process.env;
    const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.once("error", reject);
    child.once("exit", (status) => resolve({ status, output }));
  });
}

// The blocks are written into a directory inside the repository, so `express-nats-events` and
// `express-nats-events/testing` resolve to this package (dist/) by its own name, as in a user's project.
describe("docs/testing.md: its code compiles with tsc and its node:test files pass", () => {
  let dir: string;
  let files: Map<string, string>;

  before(async () => {
    files = await documentedFiles();
    dir = await mkdtemp(path.join(repo, ".docs-check-"));
    for (const [name, body] of files) await writeFile(path.join(dir, name), body);
    // vitest is not a dependency of this project: its few functions are declared for the compile check.
    await writeFile(
      path.join(dir, "vitest.d.ts"),
      'declare module "vitest" {\n  type Hook = (fn: () => unknown) => void;\n  export const beforeEach: Hook, afterEach: Hook;\n' +
        '  export function test(name: string, fn: () => unknown): void;\n  export function expect(value: unknown): { toEqual(expected: unknown): void };\n}\n',
    );
    await writeFile(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "es2022",
          module: "nodenext",
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          skipLibCheck: true,
          types: ["node"],
          outDir: "out",
          rootDir: ".",
        },
        include: ["*.ts"],
      }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("the page has the app, a listener test, a route test, an integration test and a vitest test", () => {
    assert.deepEqual([...files.keys()].sort(), ["integration.test.ts", "receipt-listener.spec.ts", "receipt-listener.test.ts", "routes.test.ts", "shop.ts"]);
  });

  test("tsc compiles every block; node --test passes the node:test ones", { timeout: 180_000 }, async () => {
    const compiled = await run([tsc, "-p", "tsconfig.json"], dir);
    assert.equal(compiled.status, 0, `tsc failed:\n${compiled.output}`);
    const tests = [...files.keys()].filter((name) => name.endsWith(".test.ts")).map((name) => path.join("out", name.replace(/\.ts$/, ".js")));
    const result = await run(["--test", ...tests], dir);
    assert.equal(result.status, 0, `the documented tests failed:\n${result.output}`);
    assert.match(result.output, /# pass 5\b/, result.output);
    assert.match(result.output, /# fail 0\b/);
  });
});
