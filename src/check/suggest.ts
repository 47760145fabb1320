/** "did you mean": the closest of the names a word could have meant, by edit distance. */

/** `; did you mean X?` for the closest name within `within` edits (three unless told), else ''. */
export function didYouMean(word: string, names: Iterable<string>, within = 3): string {
  let best = '';
  let bestScore = Infinity;
  for (const name of names) {
    const d = distance(word.toLowerCase(), name.toLowerCase());
    if (d < bestScore) [best, bestScore] = [name, d];
  }
  return bestScore <= within ? `; did you mean ${best}?` : '';
}

/** Levenshtein distance, one row at a time. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
