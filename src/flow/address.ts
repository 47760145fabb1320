/** Endpoint strings as the contract spells them: "ip:port", IPv6 as "[ip]:port" in RFC 5952 short form. */

export function formatIpv4(word: number): string {
  return `${word >>> 24}.${(word >>> 16) & 255}.${(word >>> 8) & 255}.${word & 255}`;
}

/** RFC 5952: lower-case hex, no leading zeros, the longest run of two or more zero groups as "::" (the first on ties). */
export function formatIpv6(words: ArrayLike<number>): string {
  const groups: number[] = [];
  for (let i = 0; i < 4; i++) groups.push((words[i]! >>> 16) & 0xffff, words[i]! & 0xffff);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIpv4(words[3]! >>> 0)}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function formatEndpoint(ipVersion: number, words: ArrayLike<number>, port: number): string {
  return ipVersion === 6 ? `[${formatIpv6(words)}]:${port}` : `${formatIpv4(words[0]! >>> 0)}:${port}`;
}
