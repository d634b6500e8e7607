import { subjectMatches } from "../subject.js";

/** Concrete subject → a bounded label (a metric label value, a span name). */
export type SubjectLabeler = (subject: string) => string;

const CACHE_LIMIT = 10_000;

/**
 * Published subjects are concrete and may hold ids (`order.4711.shipped`), so they are
 * never a label themselves: a label has to come from a bounded set. The label is
 * 1. the most specific of `patterns` that matches (the `metricsSubjects` option, then the
 *    @Listen subjects of this process, then the configured stream subjects), else
 * 2. the first token followed by ".>" (`order.4711.shipped` → `order.>`).
 * The fallback is coarse but bounded by the number of first tokens, which in a subject
 * hierarchy are the few event families (ids come after them). Pass `subjectLabel` to
 * bus.connect() to decide yourself. Results are cached (bounded, cleared when full).
 */
export function createSubjectLabeler(patterns: readonly string[]): SubjectLabeler {
  const ordered = [...new Set(patterns)].sort((a, b) => specificity(b) - specificity(a));
  const cache = new Map<string, string>();
  return (subject) => {
    let label = cache.get(subject);
    if (label !== undefined) return label;
    label = ordered.find((pattern) => subjectMatches(pattern, subject)) ?? fallbackLabel(subject);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(subject, label);
    return label;
  };
}

export function fallbackLabel(subject: string): string {
  const dot = subject.indexOf(".");
  return dot === -1 ? subject : `${subject.slice(0, dot)}.>`;
}

/** Literal tokens count most, `*` less, `>` least: "order.created" beats "order.*" beats "order.>". */
function specificity(pattern: string): number {
  let score = 0;
  for (const token of pattern.split(".")) score += token === ">" ? 1 : token === "*" ? 10 : 100;
  return score;
}
