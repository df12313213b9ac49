/**
 * "Did you mean …?" for misspelt keys and driver names. Optimal string alignment distance
 * (Levenshtein plus swapped neighbours, the commonest typo), case-insensitive. Hand-written:
 * std's `closestString` is JSR-only here, and 20 lines do not warrant a dependency.
 * @module
 */

/** At most this many suggestions: a list of ninety names helps nobody. */
const MAX_SUGGESTIONS = 3;

/** Edit distance between `a` and `b`, counting an adjacent transposition as one edit. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known names closest to `word`, at most three, all at the smallest distance found, and
 * only within a third of the longer name's length (at least one edit): "comunity" finds
 * "community", "foo" finds nothing rather than three unrelated names.
 */
export function closest(word: string, known: Iterable<string>): string[] {
  const w = word.toLowerCase();
  const scored: [string, number][] = [];
  for (const name of new Set(known)) {
    const n = name.toLowerCase();
    const distance = editDistance(w, n);
    const limit = Math.max(1, Math.floor(Math.max(w.length, n.length) / 3));
    if (distance <= limit) scored.push([name, distance]);
  }
  scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]));
  // Only the best: "cmd_onn" is "cmd_on" misspelt, not "cmd_off".
  const best = scored[0]?.[1];
  return scored.filter(([, d]) => d === best).slice(0, MAX_SUGGESTIONS).map(([name]) => name);
}

/** ` did you mean "a" or "b"?` (with a leading `;`), or "" when nothing is close. */
export function didYouMean(word: string, known: Iterable<string>): string {
  const names = closest(word, known).map((n) => `"${n}"`);
  if (names.length === 0) return "";
  const list = names.length === 1
    ? names[0]
    : `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;
  return `; did you mean ${list}?`;
}
