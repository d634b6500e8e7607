import { ErrorCodes, EventBusError } from "./errors.js";

/**
 * NATS subject syntax: dot-separated tokens, none empty, no whitespace.
 * `*` matches one token and `>` (last token only) one or more; both are
 * allowed where we subscribe, never where we publish.
 */
export function subjectProblem(subject: unknown, allowWildcards: boolean): string | undefined {
  if (typeof subject !== "string") return `must be a string, got ${typeof subject}`;
  if (subject.length === 0) return "must not be empty";
  if (/\s/.test(subject)) return "must not contain whitespace";
  const tokens = subject.split(".");
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.length === 0) return `has an empty token at position ${i + 1} (leading, trailing or double dot)`;
    const isWildcard = token === "*" || token === ">";
    if (isWildcard && !allowWildcards) return `must not contain wildcards ("${token}") when publishing`;
    if (token === ">" && i !== tokens.length - 1) return `">" is only allowed as the last token`;
    if (!isWildcard && (token.includes("*") || token.includes(">"))) {
      return `token "${token}" mixes a wildcard with other characters`;
    }
  }
  return undefined;
}

/** Does this (valid) subject hold a `*` or `>` token? */
export function hasWildcard(subject: string): boolean {
  return /(^|\.)(\*|>)(\.|$)/.test(subject);
}

/** Fast path for the common case; the detailed check runs only when this fails. */
const PLAIN_SUBJECT = /^[^\s.*>]+(\.[^\s.*>]+)*$/;

export function assertPublishSubject(subject: unknown): asserts subject is string {
  if (typeof subject === "string" && PLAIN_SUBJECT.test(subject)) return;
  const problem = subjectProblem(subject, false);
  if (problem) throw new EventBusError(ErrorCodes.INVALID_SUBJECT, `invalid subject ${JSON.stringify(subject)}: ${problem}`);
}

/** Queue group names follow NATS rules: non-empty, no whitespace. */
export function queueGroupProblem(queueGroup: unknown): string | undefined {
  if (typeof queueGroup !== "string") return `must be a string, got ${typeof queueGroup}`;
  if (queueGroup.length === 0) return "must not be empty";
  if (/\s/.test(queueGroup)) return "must not contain whitespace";
  return undefined;
}

/** Does `subject` (concrete) match `pattern` (which may hold wildcards)? */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

/**
 * Does every subject `pattern` can match also match `container`? (Is a listener's
 * subject fully captured by a stream's subject?) Both may hold wildcards.
 */
export function subjectCovers(container: string, pattern: string): boolean {
  const c = container.split(".");
  const p = pattern.split(".");
  for (let i = 0; i < c.length; i++) {
    if (c[i] === ">") return p.length > i;
    if (i >= p.length || p[i] === ">") return false;
    if (c[i] !== "*" && (p[i] === "*" || c[i] !== p[i])) return false;
  }
  return c.length === p.length;
}
