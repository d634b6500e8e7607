import type { StandardSchemaV1 } from "@standard-schema/spec";
import { ValidationError, type ValidationIssue } from "../errors.js";

/**
 * Runs a Standard Schema and returns its output value, or throws ValidationError with
 * every failing path. Returns a plain value when the validator is synchronous and a
 * promise only when it is asynchronous.
 */
export function validatePayload(
  schema: StandardSchemaV1,
  value: unknown,
  subject: string,
  direction: ValidationError["direction"],
  where: string,
): unknown {
  const result = schema["~standard"].validate(value);
  if (result instanceof Promise) return result.then((settled) => outcome(settled, subject, direction, where));
  return outcome(result, subject, direction, where);
}

function outcome(result: StandardSchemaV1.Result<unknown>, subject: string, direction: ValidationError["direction"], where: string): unknown {
  if (!result.issues) return result.value;
  throw new ValidationError(subject, direction, result.issues.map(toIssue), where);
}

function toIssue(issue: StandardSchemaV1.Issue): ValidationIssue {
  return { path: formatPath(issue.path), message: issue.message };
}

/** ["items", 0, "sku"] → "items[0].sku"; no path → "(root)". */
export function formatPath(path: StandardSchemaV1.Issue["path"]): string {
  if (!path || path.length === 0) return "(root)";
  let text = "";
  for (const segment of path) {
    const key = typeof segment === "object" && segment !== null ? segment.key : segment;
    if (typeof key === "number") text += `[${key}]`;
    else if (typeof key === "symbol") text += `[${String(key)}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) text += text ? `.${key}` : key;
    else text += `[${JSON.stringify(key)}]`;
  }
  return text;
}
