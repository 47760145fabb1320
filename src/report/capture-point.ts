/** Where the capture was taken and what it lost itself, in words for the report's overview. */
import type { SummaryRecord } from '../records.js';
import type { CaptureVantage, Vantage } from '../state/vantage.js';

const NEAR: Record<CaptureVantage, string> = {
  near_client: 'near the clients',
  near_server: 'near the servers',
  in_between: 'between clients and servers',
  near_both: 'near both ends (one host or segment)',
  mixed: 'near clients on some connections, servers on others',
  unknown: 'unknown: no handshake or TTL tells',
};

const SHORT: Record<Vantage, string> = {
  near_client: 'near the client',
  near_server: 'near the server',
  in_between: 'in between',
  near_both: 'near both',
  unknown: 'unknown',
};

/** "near the servers (near the server 120, unknown 8 connections; by handshake timing and TTLs)". */
export function capturePoint(s: SummaryRecord): string {
  const counts = (Object.entries(s.vantage_connections) as [Vantage, number][]).filter(([, n]) => n > 0).map(([v, n]) => `${SHORT[v]} ${n}`);
  return counts.length ? `${NEAR[s.vantage]} (${counts.join(', ')} connections; by handshake timing and TTLs)` : NEAR[s.vantage];
}

/** What the capture itself lost: its own drop counters and the segments peers acknowledged that it never held. */
export function captureLoss(s: SummaryRecord): string {
  const drops = s.counts.capture_drops ?? 0;
  const missed = s.counts.missed_segments ?? 0;
  const parts: string[] = [];
  if (drops > 0) parts.push(`the capture dropped ${drops} packet(s), by its own statistics: do not blame the network for them`);
  if (missed > 0) parts.push(`${missed} segment(s) on ${s.counts.missed_segment_connections ?? 0} connection(s) were acknowledged but never captured (inferred)`);
  return parts.join('; ') || 'none seen';
}
