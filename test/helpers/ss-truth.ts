/** Parses `ss -tanoi` output: the kernel's view of every socket, the truth beside each capture. */
import { formatIpv6 } from '../../src/flow/address.js';

const STATE: Record<string, string> = {
  ESTAB: 'ESTABLISHED',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECV': 'SYN_RECV',
  'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2',
  'TIME-WAIT': 'TIME_WAIT',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'LAST-ACK': 'LAST_ACK',
  CLOSING: 'CLOSING',
  LISTEN: 'LISTEN',
  UNCONN: 'CLOSED',
};

export interface SsSocket {
  state: string;
  local: string;
  peer: string;
  timer?: string;
}

/** "ip:port" as the contract spells it; IPv6 in RFC 5952 short form, "*" kept. */
export function normalizeEndpoint(text: string): string {
  const i = text.lastIndexOf(':');
  let host = text.slice(0, i);
  const port = text.slice(i + 1);
  if (host.startsWith('[')) host = host.slice(1, -1);
  if (host.includes('%')) host = host.slice(0, host.indexOf('%'));
  if (!host.includes(':')) return `${host}:${port}`;
  const words = new Uint32Array(4);
  const [head, tail] = host.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right].map((g) => parseInt(g || '0', 16));
  for (let w = 0; w < 4; w++) words[w] = ((groups[2 * w]! << 16) | groups[2 * w + 1]!) >>> 0;
  return `[${formatIpv6(words)}]:${port}`;
}

export function parseSs(text: string): SsSocket[] {
  const sockets: SsSocket[] = [];
  for (const line of text.split('\n')) {
    if (!line || /^\s/.test(line) || line.startsWith('State')) continue;
    const f = line.trim().split(/\s+/);
    const state = STATE[f[0]!];
    if (!state || f.length < 5) continue;
    const socket: SsSocket = { state, local: normalizeEndpoint(f[3]!), peer: normalizeEndpoint(f[4]!) };
    const timer = /timer:\(([^)]*)\)/.exec(line);
    if (timer) socket.timer = timer[1]!;
    sockets.push(socket);
  }
  return sockets;
}
