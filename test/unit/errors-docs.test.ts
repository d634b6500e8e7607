import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ErrorCodes } from "../../src/index.js";

// This file runs from dist/test/unit; the page lives in the repository's docs/.
const docsPath = fileURLToPath(new URL("../../../docs/errors.md", import.meta.url));

interface Section {
  code: string;
  body: string;
}

async function sections(): Promise<Section[]> {
  const markdown = await readFile(docsPath, "utf8");
  const found: Section[] = [];
  for (const part of markdown.split(/^## /m).slice(1)) {
    const [heading = "", ...rest] = part.split("\n");
    found.push({ code: heading.trim(), body: rest.join("\n") });
  }
  return found;
}

describe("docs/errors.md", () => {
  test("has exactly one section per error code in ErrorCodes", async () => {
    const codes = (await sections()).map((section) => section.code);
    assert.equal(new Set(codes).size, codes.length, `duplicate headings: ${codes.filter((code, i) => codes.indexOf(code) !== i).join(", ")}`);
    const documented = new Set(codes);
    const defined = new Set<string>(Object.values(ErrorCodes));
    const missing = [...defined].filter((code) => !documented.has(code));
    const extra = [...documented].filter((code) => !defined.has(code));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `docs/errors.md (${docsPath}) and ErrorCodes in src/errors.ts disagree`);
  });

  test("every section says what happened and how to fix it", async () => {
    for (const { code, body } of await sections()) {
      assert.match(body, /^\*\*What happened:\*\* \S/m, `${code}: no "What happened" line`);
      assert.match(body, /^\*\*Fix:\*\* \S/m, `${code}: no "Fix" line`);
    }
  });

  test("codes are stable EB_ERR_* identifiers equal to their key", () => {
    for (const [key, code] of Object.entries(ErrorCodes)) assert.equal(code, `EB_ERR_${key}`);
  });
});
