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
  // Zeek names what it saw: a FIN inferred from its ACK is none.
  const origFin = o.sentFin && !o.finInferred;
  const respFin = r.sentFin && !r.finInferred;
  // Both sides closed with FIN: Zeek's endpoints are both CLOSED, whatever came before or after (a late RST, a missed SYN).
  if (origFin && respFin) return 'SF';
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
    if (respSynAck && respFin) return 'SHR';
    return 'OTH';
  }
  if (r.sentPackets === 0) return origFin ? 'SH' : 'S0';
  if (!respSynAck) return 'OTH';
  if (origFin) return 'S2';
  if (respFin) return 'S3';
  return 'S1';
}

/**
 * History letters, each once per direction: upper case for the originator,
 * lower for the responder. At most 16 distinct entries, kept in the order
 * seen as 4-bit codes in two integers; the text is written only when asked.
 */
export class ZeekHistory {
  private seen = 0;
  private count = 0;
  private low = 0;
  private high = 0;

  reset(): void {
    this.seen = 0;
    this.count = 0;
    this.low = 0;
    this.high = 0;
  }

  add(letter: string, fromClient: boolean): void {
    const entry = LETTER_INDEX[letter.charCodeAt(0)]! + (fromClient ? 0 : 8);
    const bit = 1 << entry;
    if (this.seen & bit) return;
    this.seen |= bit;
    if (this.count < 8) this.low |= entry << (4 * this.count);
    else this.high |= entry << (4 * (this.count - 8));
    this.count++;
  }

  toString(): string {
    // Eight entries or fewer, as most have, are one word: their text is made once and shared.
    if (this.count > 8) return this.text();
    const key = this.low * 16 + this.count;
    let text = TEXTS.get(key);
    if (text === undefined) {
      text = this.text();
      if (TEXTS.size < MAX_TEXTS) TEXTS.set(key, text);
    }
    return text;
  }

  private text(): string {
    let text = '';
    for (let i = 0; i < this.count; i++) {
      const entry = i < 8 ? (this.low >>> (4 * i)) & 15 : (this.high >>> (4 * (i - 8))) & 15;
      text += entry < 8 ? LETTERS[entry] : LETTERS[entry - 8]!.toLowerCase();
    }
    return text;
  }
}

/** Histories of up to eight entries, by their word and count; a capture's connections share a handful. */
const TEXTS = new Map<number, string>();
const MAX_TEXTS = 4096;

const LETTERS = 'SHADFRTW';
/** Each letter's index, by character code: no string search per packet. */
const LETTER_INDEX = new Int8Array(128);
for (let i = 0; i < LETTERS.length; i++) LETTER_INDEX[LETTERS.charCodeAt(i)] = i;
