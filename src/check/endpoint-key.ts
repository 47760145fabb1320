/**
 * Endpoints as a policy names them (`per_endpoint` keys): `ip:port`,
 * `[ip6]:port`, or a host `ip`, read into the records' own spelling (IPv6 in
 * RFC 5952 short form), so that a key matches what the records say.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { formatIpv6 } from '../flow/address.js';

const PORT = /^(0|[1-9]\d{0,4})$/;

/** The endpoint or host `text` names, spelled as records spell it; undefined when it names none. */
export function policyEndpoint(text: string): string | undefined {
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(text);
  if (bracketed) {
    const host = ipv6(bracketed[1]!);
    return host !== undefined && validPort(bracketed[2]!) ? `[${host}]:${bracketed[2]}` : undefined;
  }
  if (text.includes('::') || text.split(':').length > 2) return ipv6(text);
  const [host, port] = text.split(':') as [string, string | undefined];
  if (!isIPv4(host)) return undefined;
  if (port === undefined) return host;
  return validPort(port) ? text : undefined;
}

const validPort = (port: string): boolean => PORT.test(port) && Number(port) <= 65535;

/** An IPv6 address (no zone) in RFC 5952 short form. */
function ipv6(text: string): string | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined;
  const groupsOf = (part: string): number[] =>
    part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? g.split('.').map(Number).flatMap((_, i, b) => (i % 2 ? [] : [(b[i]! << 8) | b[i + 1]!])) : [parseInt(g, 16)]));
  const [head, tail] = text.split('::') as [string, string | undefined];
  const front = groupsOf(head);
  const back = tail === undefined ? [] : groupsOf(tail);
  const groups = tail === undefined ? front : [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  return formatIpv6([0, 1, 2, 3].map((i) => ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0));
}
