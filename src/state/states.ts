/** TCP endpoint states in netstat/ss names, plus UNKNOWN when the capture cannot tell. */
export const TCP_STATES = [
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'CLOSING',
  'TIME_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'CLOSED',
  'UNKNOWN',
] as const;

export type TcpState = (typeof TCP_STATES)[number];

export function assertNever(x: never): never {
  throw new Error(`unexpected value ${String(x)}`);
}
