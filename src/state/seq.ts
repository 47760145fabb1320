/** Wrap-safe TCP sequence arithmetic (RFC 9293 section 3.4): compare modulo 2^32. */

/** a - b as a signed 32-bit distance. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return seqDiff(a, b) <= 0;
}

export function seqGe(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0;
}

export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
