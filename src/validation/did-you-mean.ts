/**
 * Names compared as someone types them: case, `_` and `-` do not count, so `first_name`,
 * `FirstName` and `firstName` are one name and a snake_case guess at a camelCase setting is found.
 */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, "");
}

/**
 * Edits between two strings: insertions, deletions, substitutions and swaps of two neighbours
 * (optimal string alignment), the usual typos (`frist` → `first` is one swap).
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = Array.from({ length: rows * cols }, (_, k) => (k < cols ? k : k % cols === 0 ? k / cols : 0));
  // Always in range: i < rows, j < cols.
  const at = (i: number, j: number) => d[i * cols + j] ?? 0;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/** How far a guess may be from a name and still be taken for it: one edit per three letters, at most three. */
function tolerance(length: number): number {
  return Math.min(3, Math.max(1, Math.floor(length / 3)));
}

/**
 * The known name closest to what was written, if it is close enough to be a typo of it
 * (`trigerr` → `trigger`, `frist_name` → `firstName`); on a tie, the first in `known`. Undefined
 * when nothing is close, or when `written` is itself known.
 */
export function closestName(written: string, known: Iterable<string>, compare: (name: string) => string = (name) => name): string | undefined {
  const target = normalizeName(written);
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    if (name === written) return undefined;
    const distance = editDistance(target, normalizeName(compare(name)));
    if (distance <= tolerance(target.length) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
