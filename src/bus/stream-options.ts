import { subjectProblem } from "../subject.js";

const STREAM_KEYS = new Set(["name", "subjects", "storage", "retention", "maxAgeMs", "maxBytes", "maxMsgs", "replicas", "duplicateWindowMs", "allowWeakening", "allowSchedules", "allowMessageTtl"]);
const STREAM_NAME = /^[A-Za-z0-9_-]+$/;

/** Checks the `streams` option; the first problem names the stream and the field. */
export function streamsProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return "must be a list of streams";
  const names = new Set<string>();
  for (const [index, stream] of value.entries()) {
    const where = `stream #${index + 1}`;
    if (stream === null || typeof stream !== "object") return `${where} must be an object`;
    const entry = stream as Record<string, unknown>;
    const unknown = Object.keys(entry).find((key) => !STREAM_KEYS.has(key));
    if (unknown) return `${where} has unknown field "${unknown}"; known: ${[...STREAM_KEYS].join(", ")}`;
    if (typeof entry.name !== "string" || !STREAM_NAME.test(entry.name)) return `${where}: "name" must use only letters, digits, "-" and "_"`;
    if (names.has(entry.name)) return `stream "${entry.name}" is declared twice`;
    names.add(entry.name);
    const named = `stream "${entry.name}"`;
    if (!Array.isArray(entry.subjects) || entry.subjects.length === 0) return `${named}: "subjects" must be a non-empty list`;
    for (const subject of entry.subjects) {
      const problem = subjectProblem(subject, true);
      if (problem) return `${named}: subject ${JSON.stringify(subject)} ${problem}`;
    }
    if (entry.storage !== undefined && entry.storage !== "file" && entry.storage !== "memory") return `${named}: "storage" must be "file" or "memory"`;
    if (entry.retention !== undefined && !["limits", "interest", "workqueue"].includes(entry.retention as string)) {
      return `${named}: "retention" must be "limits", "interest" or "workqueue"`;
    }
    for (const flag of ["allowWeakening", "allowSchedules", "allowMessageTtl"]) {
      if (entry[flag] !== undefined && typeof entry[flag] !== "boolean") return `${named}: "${flag}" must be true or false`;
    }
    for (const field of ["maxAgeMs", "maxBytes", "maxMsgs", "replicas", "duplicateWindowMs"]) {
      const number = entry[field];
      if (number !== undefined && (!Number.isInteger(number) || (number as number) < (field === "replicas" ? 1 : 0))) {
        return `${named}: "${field}" must be a whole number${field === "replicas" ? " >= 1" : " >= 0"}`;
      }
    }
  }
  return undefined;
}
