import { ErrorCodes, EventBusError } from "../errors.js";

type Depth = [never, 0, 1, 2, 3, 4, 5, 6, 7];
type Join<K extends string, P extends string> = P extends "" ? K : P extends `[]${string}` ? `${K}${P}` : `${K}.${P}`;
type InArray<P extends string> = P extends "" ? "[]" : P extends `[]${string}` ? `[]${P}` : `[].${P}`;
type Paths<T, D extends number> = [D] extends [never]
  ? never
  : T extends Date
    ? ""
    : T extends readonly (infer E)[]
      ? InArray<Paths<E, Depth[D]>>
      : T extends object
        ? { [K in keyof T & string]-?: Join<K, Paths<NonNullable<T[K]>, Depth[D]>> }[keyof T & string]
        : never;

/**
 * Every path to a Date in `T`, as the `dates` option of defineEvent() takes it:
 * `"placedAt"`, `"customer.since"`, `"items[].shippedAt"` (`[]`: each element of an
 * array). Any string when `T` is `any` or `unknown` (an untyped payload).
 */
export type DatePaths<T> = 0 extends 1 & T ? string : unknown extends T ? string : Exclude<Paths<T, 7>, "">;

/** One parsed path: property names, with ARRAY for "each element". */
type Segment = string | typeof ARRAY;
const ARRAY = Symbol("each element");

const PATH = /^[^.[\]]+(\[\])*(\.[^.[\]]+(\[\])*)*$/;

/** Parses the `dates` option; EB_ERR_INVALID_CONTRACT names the subject and the bad path. */
export function parseDatePaths(subject: string, paths: unknown): Segment[][] {
  if (paths === undefined) return [];
  if (!Array.isArray(paths)) throw new EventBusError(ErrorCodes.INVALID_CONTRACT, `defineEvent("${subject}"): option "dates" must be an array of paths like ["placedAt", "items[].shippedAt"], got ${typeof paths}`);
  return paths.map((path: unknown) => {
    if (typeof path !== "string" || !PATH.test(path)) {
      throw new EventBusError(
        ErrorCodes.INVALID_CONTRACT,
        `defineEvent("${subject}"): option "dates" has the path ${JSON.stringify(path)}; write dotted property names, "[]" for each array element (e.g. "items[].shippedAt")`,
      );
    }
    const segments: Segment[] = [];
    for (const part of path.split(".")) {
      const name = part.replace(/(\[\])+$/, "");
      segments.push(name);
      for (let i = name.length; i < part.length; i += 2) segments.push(ARRAY);
    }
    return segments;
  });
}

/**
 * Turns the ISO 8601 strings at `paths` of a freshly decoded payload into Dates, in place.
 * Missing properties are skipped; a string that is not a date stays a string (so the
 * schema reports it with its path).
 */
export function reviveDates(value: unknown, paths: readonly (readonly Segment[])[]): unknown {
  for (const path of paths) reviveAt(value, path, 0);
  return value;
}

function reviveAt(node: unknown, path: readonly Segment[], index: number): void {
  if (node === null || typeof node !== "object") return;
  const segment = path[index]!;
  const last = index === path.length - 1;
  if (segment === ARRAY) {
    if (!Array.isArray(node)) return;
    for (let i = 0; i < node.length; i++) {
      if (last) node[i] = toDate(node[i]);
      else reviveAt(node[i], path, index + 1);
    }
    return;
  }
  if (!Object.hasOwn(node, segment)) return;
  const record = node as Record<string, unknown>;
  if (last) record[segment] = toDate(record[segment]);
  else reviveAt(record[segment], path, index + 1);
}

/** ISO 8601 as JSON, Python's isoformat() and Go's RFC 3339 write it: a date, or a date-time with an optional offset. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

function toDate(value: unknown): unknown {
  if (typeof value !== "string" || !ISO_8601.test(value)) return value;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date;
}
