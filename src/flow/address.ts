/** Endpoint strings as the contract spells them: "ip:port", IPv6 as "[ip]:port" in RFC 5952 short form. */

/** The last two addresses written: a capture's records mostly name the same few hosts. */
const recent = { word: [-1, -1], text: ['', ''], next: 0 };

/** Where the host of "ip:port" or "[ip]:port" begins, and where it ends (exclusive). */
export const hostStart = (endpoint: string): number => (endpoint.charCodeAt(0) === 0x5b ? 1 : 0);
export const hostEnd = (endpoint: string): number => endpoint.lastIndexOf(':') - hostStart(endpoint);

/** Whether the endpoint's host is `host`, without making a string of it. */
export function hasHost(endpoint: string, host: string): boolean {
  const start = hostStart(endpoint);
  return hostEnd(endpoint) - start === host.length && endpoint.startsWith(host, start);
}

/** The host of an endpoint string: `ip` from "ip:port", and from "[ip]:port". */
export function hostOf(endpoint: string): string {
  return endpoint.startsWith('[') ? endpoint.slice(1, endpoint.indexOf(']')) : endpoint.slice(0, endpoint.lastIndexOf(':'));
}

export function formatIpv4(word: number): string {
  if (word === recent.word[0]) return recent.text[0]!;
  if (word === recent.word[1]) return recent.text[1]!;
  const text = `${word >>> 24}.${(word >>> 16) & 255}.${(word >>> 8) & 255}.${word & 255}`;
  recent.word[recent.next] = word;
  recent.text[recent.next] = text;
  recent.next ^= 1;
  return text;
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

/**
 * IPv4 endpoints written lately, direct-mapped by address and port: a
 * listener's "ip:port" is one string object for all its connections, so it
 * is made and hashed once.
 */
const ENDPOINT_SLOTS = 1024;
const endpointWord = new Float64Array(ENDPOINT_SLOTS).fill(-1);
const endpointPort = new Int32Array(ENDPOINT_SLOTS);
const endpointText: string[] = new Array<string>(ENDPOINT_SLOTS).fill('');

/** The address in `words[at..at+3]` (IPv4 in the first word) and a port. */
export function formatEndpoint(ipVersion: number, words: ArrayLike<number>, at: number, port: number): string {
  if (ipVersion === 6) return `[${formatIpv6([words[at]!, words[at + 1]!, words[at + 2]!, words[at + 3]!])}]:${port}`;
  const word = words[at]! >>> 0;
  const slot = (Math.imul(word ^ (port << 16) ^ port, 0x9e3779b1) >>> 22) & (ENDPOINT_SLOTS - 1);
  if (endpointWord[slot] === word && endpointPort[slot] === port) return endpointText[slot]!;
  const text = `${formatIpv4(word)}:${port}`;
  endpointWord[slot] = word;
  endpointPort[slot] = port;
  endpointText[slot] = text;
  return text;
}
