/**
 * NDJSON straight to bytes. A connection record is written from prebuilt
 * key bytes and its transitions from the bytes prebuilt for each transition
 * code, with numbers formatted digit by digit: about five times faster than
 * JSON.stringify and the string-to-UTF-8 copy after it, which were most of
 * a full analysis. The bytes equal JSON.stringify's for the same record,
 * which a test checks on every capture; other records (findings, summary)
 * are rare and go through JSON.stringify.
 */
import type { Anomaly, ConnectionSummary } from '../records.js';
import { codeCause, codeFrom, codeSide, codeTo, INFERRED_BIT, type TransitionLogView } from '../state/transition-log.js';

const CHUNK_BYTES = 1 << 20;
/**
 * Room every writer of a value (string, number, JSON) leaves after itself:
 * the prebuilt pieces written between two values (keys, a transition's
 * body, the record's end) never add up to more.
 */
const SLACK = 256;

const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const NEWLINE = 0x0a;

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

const K = {
  id: ascii('{"type":"connection","id":'),
  client: ascii(',"client":'),
  server: ascii(',"server":'),
  firstTs: ascii(',"first_ts":'),
  lastTs: ascii(',"last_ts":'),
  firstFrame: ascii(',"first_frame":'),
  lastFrame: ascii(',"last_frame":'),
  packets: ascii(',"packets":'),
  clientBytes: ascii(',"client_bytes":'),
  serverBytes: ascii(',"server_bytes":'),
  opening: ascii(',"opening":'),
  closing: ascii(',"closing":'),
  activeCloser: ascii(',"active_closer":'),
  clientState: ascii(',"client_state":'),
  serverState: ascii(',"server_state":'),
  connState: ascii(',"conn_state":'),
  history: ascii(',"history":'),
  clientRule: ascii(',"client_rule":'),
  file: ascii(',"file":'),
  openAtStart: ascii(',"open_at_start":'),
  openAtEnd: ascii(',"open_at_end":'),
  anomalies: ascii(',"anomalies":['),
  segments: ascii(',"segments":'),
  transitions: ascii(',"transitions":['),
  end: ascii(']}\n'),
  ts: ascii('{"ts":'),
  frame: ascii(',"frame":'),
  inferred: ascii(',"inferred":true'),
  code: ascii('{"code":'),
  side: ascii(',"side":'),
  since: ascii(',"since":'),
  duration: ascii(',"duration":'),
  detail: ascii(',"detail":'),
  count: ascii(',"count":'),
  true: ascii('true'),
  false: ascii('false'),
  null: ascii('null'),
};

/** "00" to "99": two digits per division. */
const DIGIT_PAIRS = ascii(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''));

/** Everything of a transition but its time and frame, by its code (inferred bit aside), built when first met. */
const TRANSITION_BODY: (Uint8Array | undefined)[] = new Array<undefined>(INFERRED_BIT).fill(undefined);
function transitionBody(code: number): Uint8Array {
  const key = code & (INFERRED_BIT - 1);
  return (TRANSITION_BODY[key] ??= ascii(
    `,"side":${JSON.stringify(codeSide(key))},"from":${JSON.stringify(codeFrom(key))},"to":${JSON.stringify(codeTo(key))},"cause":${JSON.stringify(codeCause(key))}`,
  ));
}

const utf8 = new TextEncoder();

export class NdjsonEncoder {
  private buf = new Uint8Array(CHUNK_BYTES);
  private pos = 0;

  /** `sink` receives the bytes in order, a chunk at a time; each chunk is its own and never written again. */
  constructor(private readonly sink: (bytes: Uint8Array) => void) {}

  /** Bytes waiting in the current chunk. */
  get pending(): number {
    return this.pos;
  }

  /** Hands the bytes encoded so far to the sink. */
  flush(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    this.buf = new Uint8Array(CHUNK_BYTES);
    this.pos = 0;
  }

  /** Any record, through JSON.stringify: for the rare ones (findings, summary, states, violations). */
  record(value: unknown): void {
    this.json(value);
    this.buf[this.pos++] = NEWLINE;
  }

  /** A connection record: `summary` then the transitions in `log`, as JSON.stringify would write the whole record. */
  connection(c: ConnectionSummary, log: TransitionLogView): void {
    this.room(0);
    this.raw(K.id);
    this.string(c.id);
    this.raw(K.client);
    this.string(c.client);
    this.raw(K.server);
    this.string(c.server);
    this.raw(K.firstTs);
    this.number(c.first_ts);
    this.raw(K.lastTs);
    this.number(c.last_ts);
    this.raw(K.firstFrame);
    this.number(c.first_frame);
    this.raw(K.lastFrame);
    this.number(c.last_frame);
    this.raw(K.packets);
    this.number(c.packets);
    this.raw(K.clientBytes);
    this.number(c.client_bytes);
    this.raw(K.serverBytes);
    this.number(c.server_bytes);
    this.raw(K.opening);
    this.string(c.opening);
    this.raw(K.closing);
    this.string(c.closing);
    this.raw(K.activeCloser);
    if (c.active_closer === null) this.raw(K.null);
    else this.string(c.active_closer);
    this.raw(K.clientState);
    this.string(c.client_state);
    this.raw(K.serverState);
    this.string(c.server_state);
    this.raw(K.connState);
    this.string(c.conn_state);
    this.raw(K.history);
    this.string(c.history);
    this.raw(K.clientRule);
    this.string(c.client_rule);
    if (c.file !== undefined) {
      this.raw(K.file);
      this.string(c.file);
    }
    this.room(0);
    this.raw(K.openAtStart);
    this.raw(c.open_at_start ? K.true : K.false);
    this.raw(K.openAtEnd);
    this.raw(c.open_at_end ? K.true : K.false);
    this.raw(K.anomalies);
    const anomalies = c.anomalies;
    for (let i = 0; i < anomalies.length; i++) {
      if (i > 0) this.buf[this.pos++] = COMMA;
      this.anomaly(anomalies[i]!);
    }
    this.buf[this.pos++] = CLOSE_BRACKET;
    if (c.segments !== undefined) {
      this.raw(K.segments);
      this.json(c.segments);
    }
    this.room(0);
    this.raw(K.transitions);
    for (let i = 0; i < log.length; i++) {
      this.room(0);
      if (i > 0) this.buf[this.pos++] = COMMA;
      const code = log.code(i);
      this.raw(K.ts);
      this.number(log.ts(i));
      this.raw(transitionBody(code));
      const frame = log.frame(i);
      if (frame) {
        this.raw(K.frame);
        this.number(frame);
      }
      if (code & INFERRED_BIT) this.raw(K.inferred);
      this.buf[this.pos++] = CLOSE_BRACE;
    }
    this.room(0);
    this.raw(K.end);
  }

  private anomaly(a: Anomaly): void {
    this.room(0);
    this.raw(K.code);
    this.string(a.code);
    this.raw(K.side);
    this.string(a.side);
    this.raw(K.since);
    this.number(a.since);
    this.raw(K.duration);
    this.number(a.duration);
    this.raw(K.detail);
    this.string(a.detail);
    if (a.frame !== undefined) {
      this.raw(K.frame);
      this.number(a.frame);
    }
    if (a.count !== undefined) {
      this.raw(K.count);
      this.number(a.count);
    }
    this.buf[this.pos++] = CLOSE_BRACE;
  }

  /** Makes room for `bytes` more and the slack after them: a full chunk goes to the sink. */
  private room(bytes: number): void {
    const need = bytes + SLACK;
    if (this.pos + need <= this.buf.length) return;
    this.flush();
    if (need > this.buf.length) this.buf = new Uint8Array(need);
  }

  /** Prebuilt bytes; the caller made room. Short pieces by hand: a call to set() costs more than it copies. */
  private raw(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n > 48) {
      this.buf.set(bytes, this.pos);
    } else {
      const b = this.buf;
      const p = this.pos;
      for (let i = 0; i < n; i++) b[p + i] = bytes[i]!;
    }
    this.pos += n;
  }

  /** A JSON string; printable ASCII is copied as it is, anything else goes through JSON.stringify. */
  private string(s: string): void {
    const n = s.length;
    this.room(n + 2);
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === 0x5c) {
        this.json(s);
        return;
      }
      b[p + 1 + i] = c;
    }
    b[p] = QUOTE;
    b[p + 1 + n] = QUOTE;
    this.pos = p + n + 2;
  }

  /** Any value through JSON.stringify, as UTF-8 (at most three bytes per UTF-16 unit). */
  private json(value: unknown): void {
    const text = JSON.stringify(value) ?? 'null';
    this.room(text.length * 3);
    this.pos += utf8.encodeInto(text, this.buf.subarray(this.pos)).written;
  }

  /**
   * A number as JSON.stringify writes it. Fast paths: whole numbers, and
   * numbers with at most six decimals below 2^32 (times and durations are
   * rounded to the microsecond): there the double's spacing is under 1e-6,
   * so the shortest decimal that reads back as the same double, which is
   * what JavaScript prints, is the microsecond value with trailing zeros
   * dropped. Anything else (negative, more decimals, huge) is printed by
   * JavaScript itself.
   */
  private number(x: number): void {
    this.room(32);
    if (x >= 0 && x < 4294967296) {
      const whole = Math.floor(x);
      if (whole === x) return this.uint32(whole);
      const micros = Math.round((x - whole) * 1e6);
      if (micros < 1e6 && (whole * 1e6 + micros) / 1e6 === x) {
        this.uint32(whole);
        this.micros(micros);
        return;
      }
    } else if (x >= 0 && Number.isSafeInteger(x)) {
      const high = Math.floor(x / 1e9);
      this.uint32(high);
      this.padded(x - high * 1e9, 9);
      return;
    }
    const text = JSON.stringify(x) ?? 'null';
    for (let i = 0; i < text.length; i++) this.buf[this.pos + i] = text.charCodeAt(i);
    this.pos += text.length;
  }

  /** A whole number 0 <= n < 2^32. */
  private uint32(n: number): void {
    const digits = n < 10 ? 1 : n < 100 ? 2 : n < 1e3 ? 3 : n < 1e4 ? 4 : n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
    this.pos += digits;
    this.digitsBefore(this.pos, n);
  }

  /** `n` in exactly `width` digits, with leading zeros. */
  private padded(n: number, width: number): void {
    const b = this.buf;
    const start = this.pos;
    for (let i = 0; i < width; i++) b[start + i] = 0x30;
    this.pos += width;
    this.digitsBefore(this.pos, n);
  }

  /** Writes the digits of `n` (0 <= n < 2^32) so that the last one is at end - 1. */
  private digitsBefore(end: number, n: number): void {
    const b = this.buf;
    let e = end;
    while (n >= 100) {
      const q = (n / 100) >>> 0;
      const r = (n - q * 100) << 1;
      b[--e] = DIGIT_PAIRS[r + 1]!;
      b[--e] = DIGIT_PAIRS[r]!;
      n = q;
    }
    if (n >= 10) {
      b[--e] = DIGIT_PAIRS[(n << 1) + 1]!;
      b[--e] = DIGIT_PAIRS[n << 1]!;
    } else {
      b[--e] = 0x30 + n;
    }
  }

  /** ".dddddd" for 1 <= micros < 1e6, trailing zeros dropped. */
  private micros(micros: number): void {
    let digits = 6;
    while (micros % 10 === 0) {
      micros /= 10;
      digits--;
    }
    this.buf[this.pos++] = 0x2e;
    this.padded(micros, digits);
  }
}
