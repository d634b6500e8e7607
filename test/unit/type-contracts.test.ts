import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

// This file runs from dist/test/unit; the type tests are TypeScript sources in the repository's test/types.
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const typesDir = path.join(repo, "test/types");
const tsc = path.join(repo, "node_modules/typescript/bin/tsc");

function compile(project: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [tsc, "--noEmit", "-p", project], { cwd: repo, encoding: "utf8", timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Lines (1-based) right after each `// @ts-expect-error` directive of a source. */
function expectedErrorLines(source: string): number[] {
  const lines = source.split("\n");
  return lines.flatMap((line, index) => (/^\s*\/\/ @ts-expect-error/.test(line) ? [index + 2] : []));
}

describe("type-level contract tests (tsc --noEmit -p test/types/tsconfig.json)", () => {
  test("must-compile.ts compiles and every @ts-expect-error line of must-fail.ts fails", () => {
    const { status, output } = compile(path.join(typesDir, "tsconfig.json"));
    assert.equal(status, 0, `the type tests do not hold:\n${output}`);
  });

  test("control: without the directives, must-fail.ts fails on exactly the marked lines (so a line that stops failing turns this red)", async () => {
    const source = await readFile(path.join(typesDir, "must-fail.ts"), "utf8");
    const marked = expectedErrorLines(source);
    assert.ok(marked.length >= 15, `expected the must-fail file to mark at least 15 lines, found ${marked.length}`);
    // A sibling directory, so "./contracts.js", the path mapping and node_modules resolve as in test/types.
    const dir = await mkdtemp(path.join(typesDir, ".control-"));
    try {
      const stripped = source.replace(/^(\s*)\/\/ @ts-expect-error.*$/gm, "$1// (directive removed by the control test)");
      await writeFile(path.join(dir, "must-fail.ts"), stripped.replaceAll('"./contracts.js"', '"../contracts.js"'));
      await writeFile(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({ extends: "../tsconfig.json", include: ["./must-fail.ts", "../contracts.ts"], exclude: [] }),
      );
      const { status, output } = compile(path.join(dir, "tsconfig.json"));
      assert.notEqual(status, 0, "without its directives must-fail.ts must not compile");
      const failing = new Set([...output.matchAll(/must-fail\.ts\((\d+),\d+\): error/g)].map((match) => Number(match[1])));
      const decoratorLines = new Set(marked); // decorator errors are reported on the @Listen line itself, which is the marked line
      assert.deepEqual(
        [...decoratorLines].filter((line) => !failing.has(line)),
        [],
        `these marked lines compiled without their directive:\n${output}`,
      );
      assert.deepEqual(
        [...failing].filter((line) => !decoratorLines.has(line)),
        [],
        `errors on lines that are not marked:\n${output}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
