/**
 * The known name closest to `input` (edit distance, case-insensitive), when it is close enough to
 * be a typo: at most a third of its length away, and never more than 3 edits.
 */
export function nearestName(input: string, known: readonly string[]): string | undefined {
  const wanted = input.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(wanted, name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  const limit = Math.min(3, Math.max(1, Math.floor(input.length / 3)));
  return best && best.distance <= limit ? best.name : undefined;
}

/** `; did you mean "x"?` for an error message, or "" when no known name is close. */
export function didYouMean(input: string, known: readonly string[]): string {
  const nearest = nearestName(input, known);
  return nearest ? `; did you mean "${nearest}"?` : "";
}

/** Levenshtein distance with adjacent transpositions counted as one edit ("tiemout" → "timeout"). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
    }
  }
  return rows[a.length]![b.length]!;
}
