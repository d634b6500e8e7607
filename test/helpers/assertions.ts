import assert from "node:assert/strict";
import { EventBusError } from "../../src/index.js";

/**
 * For `assert.throws`/`assert.rejects`: the error is an EventBusError with `code`, and its
 * message mentions each string (substring) or matches each RegExp.
 */
export function errorWithCode(code: string, ...mentions: Array<string | RegExp | undefined>) {
  return (err: unknown): true => {
    assert.ok(err instanceof EventBusError, `expected an EventBusError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    for (const mention of mentions) {
      if (mention === undefined) continue;
      if (typeof mention === "string") assert.ok(err.message.includes(mention), `"${err.message}" should mention ${mention}`);
      else assert.match(err.message, mention);
    }
    return true;
  };
}
