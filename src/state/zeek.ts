/**
 * Zeek's conn_state and history for a connection, by Zeek's published rules
 * (base/protocols/conn/main.zeek), so users coming from Zeek can compare.
 * The originator is our client.
 */
import type { ConnectionMachine } from './machine.js';

export function zeekConnState(m: ConnectionMachine): string {
  const o = m.client;
  const r = m.server;
  const origSyn = o.sentSyn;
  const respSynAck = r.sentSynAck;
  const established = origSyn && respSynAck && m.handshakeAcked;
  // Both sides closed with FIN: Zeek's endpoints are both CLOSED, whatever came before or after (a late RST, a missed SYN).
  if (o.sentFin && r.sentFin) return 'SF';
  if (o.sentRst && (!r.sentRst || m.rstBy === 'client')) {
    if (origSyn && !respSynAck) return 'RSTOS0';
    if (!origSyn && !respSynAck && !r.sentPackets) return 'OTH';
    return origSyn || respSynAck ? 'RSTO' : 'OTH';
  }
  if (r.sentRst) {
    if (origSyn && !respSynAck) return 'REJ';
    if (!origSyn && respSynAck) return 'RSTRH';
    return origSyn ? 'RSTR' : 'OTH';
  }
  if (!origSyn) {
    if (respSynAck && r.sentFin) return 'SHR';
    return 'OTH';
  }
  if (r.sentPackets === 0) return o.sentFin ? 'SH' : 'S0';
  if (!respSynAck) return 'OTH';
  if (o.sentFin) return 'S2';
  if (r.sentFin) return 'S3';
  return 'S1';
}

/** History letters, each once per direction: upper case for the originator, lower for the responder. */
export class ZeekHistory {
  private text = '';
  private seen = 0;

  add(letter: string, fromClient: boolean): void {
    const bit = 1 << (LETTERS.indexOf(letter) + (fromClient ? 0 : 16));
    if (this.seen & bit) return;
    this.seen |= bit;
    this.text += fromClient ? letter : letter.toLowerCase();
  }

  toString(): string {
    return this.text;
  }
}

const LETTERS = 'SHADFRTW';
