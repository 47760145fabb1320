/**
 * Where the capture was taken, seen from one connection: near its client,
 * near its server, in between, near both (same host or segment: both within
 * a millisecond), or unknown. From TTLs (a packet that crossed no router
 * still carries its sender's initial TTL) and the handshake's timing at the
 * capture point (the SYN to SYN-ACK gap is the round trip to the server and
 * back, the SYN-ACK to a bare ACK gap the one to the client).
 */

export const VANTAGES = ['near_client', 'near_server', 'in_between', 'near_both', 'unknown'] as const;
export type Vantage = (typeof VANTAGES)[number];

/** One round trip this many times the other, and longer by this much, says which end the capture is near. */
const RATIO = 4;
const MIN_DIFFERENCE = 0.0002;
/** Both round trips under this: the capture point is near both ends. */
const NEAR_BOTH = 0.001;

/** Routers a packet crossed since its sender, from its TTL or hop limit (initial values 64, 128 or 255); -1 when unknown. */
export function hopsFrom(ttl: number): number {
  if (ttl <= 0) return -1;
  return ttl <= 64 ? 64 - ttl : ttl <= 128 ? 128 - ttl : 255 - ttl;
}

/**
 * The vantage from the round trips from the capture point to each end and
 * back (-1: unknown) and each end's first TTL (0: unknown). TTLs that show
 * routers on one side only win (a physical fact, where an application's
 * pause can stretch a round trip); then timing that tells one end from the
 * other; then TTLs with routers on both sides (in between); then timing
 * again (near both, or in between).
 */
export function classifyVantage(clientRoundTrip: number, serverRoundTrip: number, clientTtl: number, serverTtl: number): Vantage {
  const clientHops = hopsFrom(clientTtl);
  const serverHops = hopsFrom(serverTtl);
  const hops = clientHops >= 0 && serverHops >= 0;
  if (hops && clientHops === 0 && serverHops > 0) return 'near_client';
  if (hops && serverHops === 0 && clientHops > 0) return 'near_server';
  const timed = clientRoundTrip >= 0 && serverRoundTrip >= 0;
  if (timed) {
    if (serverRoundTrip >= RATIO * clientRoundTrip && serverRoundTrip - clientRoundTrip >= MIN_DIFFERENCE) return 'near_client';
    if (clientRoundTrip >= RATIO * serverRoundTrip && clientRoundTrip - serverRoundTrip >= MIN_DIFFERENCE) return 'near_server';
  }
  if (hops && clientHops > 0 && serverHops > 0) return 'in_between';
  if (!timed) return 'unknown';
  return clientRoundTrip < NEAR_BOTH && serverRoundTrip < NEAR_BOTH ? 'near_both' : 'in_between';
}

/**
 * Is the capture point near `side` and not its peer: a packet it sees sent
 * to that side arrived. Near both proves nothing: a host's own firewall, or a
 * router the capture sits on, may still drop what it saw.
 */
export function isNear(vantage: Vantage, side: 'client' | 'server'): boolean {
  return vantage === (side === 'client' ? 'near_client' : 'near_server');
}

/** Where a whole capture was taken: the vantage of two thirds of its connections that have one, else `mixed`. */
export type CaptureVantage = Vantage | 'mixed';

export function captureVantage(connections: Record<Vantage, number>): CaptureVantage {
  let told = 0;
  let best: Vantage = 'unknown';
  for (const v of VANTAGES) {
    if (v === 'unknown') continue;
    told += connections[v];
    if (best === 'unknown' || connections[v] > connections[best]) best = v;
  }
  if (told === 0) return 'unknown';
  return connections[best] * 3 >= told * 2 ? best : 'mixed';
}

/** A count of zero for each vantage. */
export function noVantages(): Record<Vantage, number> {
  return { near_client: 0, near_server: 0, in_between: 0, near_both: 0, unknown: 0 };
}
