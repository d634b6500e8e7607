import { hasWildcard, subjectMatches } from "../subject.js";
import type { DeadLetter } from "../transport/jetstream/dead-letter-store.js";

/** The dead-letter filters of the list page (query string) and of "all matching" actions (form fields). */
export interface DeadLetterFilter {
  /** A subject, a NATS pattern with `*` / `>`, or part of a subject. */
  readonly subject: string;
  /** Part of the "Class.method" that dead-lettered it. */
  readonly listener: string;
  readonly reason: string;
  /** "YYYY-MM-DDTHH:MM" in UTC (an <input type="datetime-local">), inclusive. */
  readonly since: string;
  readonly until: string;
}

const FIELDS = ["subject", "listener", "reason", "since", "until"] as const;

export function filterFrom(params: URLSearchParams): DeadLetterFilter {
  const value = (name: string) => (params.get(name) ?? "").trim().slice(0, 200);
  return { subject: value("subject"), listener: value("listener"), reason: value("reason"), since: value("since"), until: value("until") };
}

/** The filter as query-string pairs (empty ones left out), to carry it across links and redirects. */
export function filterParams(filter: DeadLetterFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of FIELDS) if (filter[name]) params.set(name, filter[name]);
  return params;
}

export function isFiltered(filter: DeadLetterFilter): boolean {
  return FIELDS.some((name) => filter[name] !== "");
}

export function matches(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  if (filter.subject) {
    if (hasWildcard(filter.subject) ? !subjectMatches(filter.subject, letter.originalSubject) : !letter.originalSubject.includes(filter.subject)) return false;
  }
  if (filter.listener && !letter.listener.toLowerCase().includes(filter.listener.toLowerCase())) return false;
  if (filter.reason && letter.reason !== filter.reason) return false;
  const since = utc(filter.since);
  if (since !== undefined && letter.time.getTime() < since) return false;
  const until = utc(filter.until);
  if (until !== undefined && letter.time.getTime() > until + 59_999) return false;
  return true;
}

function utc(text: string): number | undefined {
  if (!text) return undefined;
  const time = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(time) ? undefined : time;
}
