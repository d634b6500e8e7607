/**
 * Key-case conversion for services in other languages: camelCase in TypeScript,
 * snake_case on the wire. Applied to every nested object and array element; values
 * (strings, numbers, Dates, byte arrays) are never touched.
 *
 * Only identifier-like keys are converted, and the two directions are exact inverses:
 * - out: a key matching /^[a-z][A-Za-z0-9]*$/ gets "_" + lowercase for each capital
 *   (`orderId` → `order_id`, `userID` → `user_i_d`: write acronyms as `userId`);
 * - in: a key matching /^[a-z][a-z0-9_]*$/ gets each "_" + letter turned into the capital
 *   (`order_id` → `orderId`; `line_2` stays `line_2`).
 * Other keys (`BOOK-1`, `en-US`, `_id`, `Content-Type`) pass unchanged both ways, so
 * dictionaries keyed by data survive.
 */
export type KeyCase = "snake_case";

const CAMEL_KEY = /^[a-z][A-Za-z0-9]*$/;
const SNAKE_KEY = /^[a-z][a-z0-9_]*$/;
const CAPITAL = /[A-Z]/g;
const UNDERSCORE_LETTER = /_([a-z])/g;
const CACHE_LIMIT = 10_000;
const MAX_DEPTH = 1_000;

function cached(convert: (key: string) => string): (key: string) => string {
  const cache = new Map<string, string>();
  return (key) => {
    let converted = cache.get(key);
    if (converted === undefined) {
      converted = convert(key);
      // Keys are a small closed set in practice; a payload keyed by ids must not grow the cache forever.
      if (cache.size < CACHE_LIMIT) cache.set(key, converted);
    }
    return converted;
  };
}

export const toSnakeKey = cached((key) => (CAMEL_KEY.test(key) ? key.replace(CAPITAL, (c) => `_${c.toLowerCase()}`) : key));
export const toCamelKey = cached((key) => (SNAKE_KEY.test(key) ? key.replace(UNDERSCORE_LETTER, (_, c: string) => c.toUpperCase()) : key));

/**
 * A copy of `value` with every object key converted. Arrays and objects are walked
 * (a value with toJSON(), other than a Date, is converted as toJSON() returns it, as
 * JSON would); Dates, typed arrays, Maps and Sets are kept as they are.
 */
export function convertKeys(value: unknown, convert: (key: string) => string, depth = 0): unknown {
  if (value === null || typeof value !== "object") return value;
  if (depth > MAX_DEPTH) throw new TypeError(`cannot convert keys: circular structure, or nesting deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) return value.map((item) => convertKeys(item, convert, depth + 1));
  if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof Map || value instanceof Set) return value;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return convertKeys(toJSON.call(value), convert, depth + 1);
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const converted = convertKeys((value as Record<string, unknown>)[key], convert, depth + 1);
    // A "__proto__" key from JSON.parse is data; assigning it would set the prototype instead.
    if (key === "__proto__") Object.defineProperty(result, key, { value: converted, enumerable: true, writable: true, configurable: true });
    else result[convert(key)] = converted;
  }
  return result;
}
