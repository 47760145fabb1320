/**
 * NDJSON straight to bytes. A connection record is written from prebuilt
 * key bytes and its transitions from the bytes prebuilt for each transition
 * code, with numbers formatted digit by digit: about five times faster than
 * JSON.stringify and the string-to-UTF-8 copy after it, which were most of
 * a full analysis. The bytes equal JSON.stringify's for the same record,
 * which a test checks on every capture; other records (findings, summary)
 * are rare and go through JSON.stringify.
 */
import { ANALYSIS_EVENTS, type AnalysisCounts } from '../expert/tcp-analysis.js';
import type { FilterWriter, Piece } from '../expert/wireshark-filter.js';
import type { Anomaly, ConnectionSummary } from '../records.js';
import { codeCause, codeFrom, codeSide, codeTo, INFERRED_BIT, type TransitionLogView } from '../state/transition-log.js';

const CHUNK_BYTES = 1 << 20;
/**
 * Written chunks kept for reuse: a new chunk is fresh memory, a page fault
 * for every 4 KiB written. Enough for the chunks in flight to a file, which
 * is written through the thread pool with up to 16 MiB queued.
 */
const SPARE_CHUNKS = 20;
/**
 * Room every writer of a value (string, number, JSON) leaves after itself:
 * the prebuilt pieces written between two values (keys, a transition's
 * body, the record's end) never add up to more.
 */
const SLACK = 256;

const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const NEWLINE = 0x0a;
/** Values remembered per field: enough for states, openings, Zeek codes and histories, a bound for free text. */
const FIELD_VALUES = 256;

const utf8 = new TextEncoder();

/** Pieces this short are copied a 32-bit word at a time; longer ones with one set() (which costs 15-20 ns however short). */
const WORD_COPY_BYTES = 64;

/**
 * Bytes made once and copied into records often (keys, words, a
 * transition's body), kept as little-endian 32-bit words too: a short piece
 * is then a few word stores.
 */
class Prebuilt {
  readonly length: number;
  readonly words: Int32Array;

  constructor(readonly bytes: Uint8Array) {
    this.length = bytes.length;
    const padded = new Uint8Array((bytes.length + 3) & ~3);
    padded.set(bytes);
    const view = new DataView(padded.buffer);
    this.words = Int32Array.from({ length: padded.length / 4 }, (_, i) => view.getInt32(i * 4, true));
  }
}

const ascii = (text: string): Prebuilt => new Prebuilt(Uint8Array.from(text, (c) => c.charCodeAt(0)));

/**
 * A field's `,"key":"value"` bytes for each value it takes, made when first
 * met: most fields take a handful of values, so a record copies them
 * whole. Past FIELD_VALUES values the field is written piece by piece.
 */
class FieldBytes {
  readonly key: Prebuilt;
  private readonly byValue = new Map<string, Prebuilt>();

  constructor(private readonly prefix: string) {
    this.key = ascii(prefix);
  }

  get(value: string): Prebuilt | undefined {
    let bytes = this.byValue.get(value);
    if (bytes === undefined && this.byValue.size < FIELD_VALUES) {
      bytes = new Prebuilt(utf8.encode(this.prefix + JSON.stringify(value)));
      this.byValue.set(value, bytes);
    }
    return bytes;
  }
}

const K = {
  id: ascii('{"type":"connection","id":'),
  client: ascii(',"client":'),
  firstTs: ascii(',"first_ts":'),
  lastTs: ascii(',"last_ts":'),
  connectionDuration: ascii(',"duration":'),
  handshakeRtt: ascii(',"handshake_rtt":'),
  firstFrame: ascii(',"first_frame":'),
  lastFrame: ascii(',"last_frame":'),
  packets: ascii(',"packets":'),
  clientPackets: ascii(',"client_packets":'),
  serverPackets: ascii(',"server_packets":'),
  clientBytes: ascii(',"client_bytes":'),
  serverBytes: ascii(',"server_bytes":'),
  origBytes: ascii(',"orig_bytes":'),
  respBytes: ascii(',"resp_bytes":'),
  missedBytes: ascii(',"missed_bytes":'),
  missedSegments: ascii(',"missed_segments":'),
  noActiveCloser: ascii(',"active_closer":null'),
  clientMss: ascii(',"client_mss":'),
  serverMss: ascii(',"server_mss":'),
  clientWscale: ascii(',"client_wscale":'),
  serverWscale: ascii(',"server_wscale":'),
  sack: ascii(',"sack":'),
  timestamps: ascii(',"timestamps":'),
  clientAnalysis: ascii(',"client_analysis":'),
  serverAnalysis: ascii(',"server_analysis":'),
  firstFrameInFile: ascii(',"first_frame_in_file":'),
  lastFrameInFile: ascii(',"last_frame_in_file":'),
  wiresharkFilter: ascii(',"wireshark_filter":'),
  null: ascii('null'),
  true: ascii('true'),
  false: ascii('false'),
  openedBefore: ascii(',"open_at_start":true'),
  openedInCapture: ascii(',"open_at_start":false'),
  openAtEnd: ascii(',"open_at_end":true,"anomalies":['),
  closedInCapture: ascii(',"open_at_end":false,"anomalies":['),
  segments: ascii(',"segments":'),
  /** The transitions open with the first one's time; each ends where the next begins, the last where the record ends. */
  transitions: ascii(',"transitions":[{"ts":'),
  noTransitions: ascii(',"transitions":[]}\n'),
  next: ascii('},{"ts":'),
  nextAfterInferred: ascii(',"inferred":true},{"ts":'),
  last: ascii('}]}\n'),
  lastInferred: ascii(',"inferred":true}]}\n'),
  anomalyEnd: ascii('}'),
  since: ascii(',"since":'),
  duration: ascii(',"duration":'),
  frame: ascii(',"frame":'),
  count: ascii(',"count":'),
  ackDropped: ascii(',"ack_dropped":true'),
  ackNotDropped: ascii(',"ack_dropped":false'),
};

const F = {
  server: new FieldBytes(',"server":'),
  opening: new FieldBytes(',"opening":'),
  closing: new FieldBytes(',"closing":'),
  activeCloser: new FieldBytes(',"active_closer":'),
  clientState: new FieldBytes(',"client_state":'),
  serverState: new FieldBytes(',"server_state":'),
  connState: new FieldBytes(',"conn_state":'),
  history: new FieldBytes(',"history":'),
  clientRule: new FieldBytes(',"client_rule":'),
  vantage: new FieldBytes(',"vantage":'),
  file: new FieldBytes(',"file":'),
  lastFile: new FieldBytes(',"last_file":'),
  anomalyCode: new FieldBytes('{"code":'),
  anomalySide: new FieldBytes(',"side":'),
  anomalyDetail: new FieldBytes(',"detail":'),
};

/** The keys of an Expert Info count object: `"retransmission":` as its first, `,"retransmission":` after another. */
const ANALYSIS_KEYS = ANALYSIS_EVENTS.map((event) => ascii(`"${event}":`));
const ANALYSIS_NEXT_KEYS = ANALYSIS_EVENTS.map((event) => ascii(`,"${event}":`));

/** "00" to "99" as little-endian 16-bit words: two digits per division, one store a pair. */
const DIGIT_PAIR_WORDS = Uint16Array.from({ length: 100 }, (_, i) => (0x30 + Math.floor(i / 10)) | ((0x30 + (i % 10)) << 8));

/**
 * A transition's side, states and cause by its code (inferred bit aside),
 * with and without the `,"frame":` key after them, made when first met.
 */
const TRANSITION_BODY: (Prebuilt | undefined)[] = new Array<undefined>(2 * INFERRED_BIT).fill(undefined);
function transitionBody(code: number, withFrame: boolean): Prebuilt {
  const key = code & (INFERRED_BIT - 1);
  const slot = withFrame ? key + INFERRED_BIT : key;
  return (TRANSITION_BODY[slot] ??= ascii(
    `,"side":${JSON.stringify(codeSide(key))},"from":${JSON.stringify(codeFrom(key))},"to":${JSON.stringify(codeTo(key))},"cause":${JSON.stringify(codeCause(key))}${withFrame ? ',"frame":' : ''}`,
  ));
}

/** How many of a record's fields RepeatedFields compares. */
const REPEATED_FIELDS = 18;

/**
 * A connection record's words and options, the fields from `opening` to
 * `file`: the outcome, the states, Zeek's codes, the handshake's options,
 * the Expert Info counts (compared as objects: the shared empty one, mostly)
 * and the file. Consecutive records mostly share every one of them; their
 * bytes are then the last record's, copied whole instead of written field
 * by field.
 */
class RepeatedFields {
  private last: unknown[] = new Array<unknown>(REPEATED_FIELDS).fill(undefined);
  private now: unknown[] = new Array<unknown>(REPEATED_FIELDS).fill(undefined);
  private bytes: Uint8Array | undefined = undefined;

  /** The bytes last kept, if `c`'s fields are those they were written from. */
  bytesIfSame(c: ConnectionSummary): Uint8Array | undefined {
    const v = this.now;
    v[0] = c.opening;
    v[1] = c.closing;
    v[2] = c.active_closer;
    v[3] = c.client_state;
    v[4] = c.server_state;
    v[5] = c.conn_state;
    v[6] = c.history;
    v[7] = c.client_rule;
    v[8] = c.client_mss;
    v[9] = c.server_mss;
    v[10] = c.client_wscale;
    v[11] = c.server_wscale;
    v[12] = c.sack;
    v[13] = c.timestamps;
    v[14] = c.client_analysis;
    v[15] = c.server_analysis;
    v[16] = c.vantage;
    v[17] = c.file;
    if (this.bytes === undefined) return undefined;
    const last = this.last;
    for (let i = 0; i < REPEATED_FIELDS; i++) if (v[i] !== last[i]) return undefined;
    return this.bytes;
  }

  /** Keeps the bytes written from the fields the last `bytesIfSame` was given. */
  remember(buf: Uint8Array, start: number, end: number): void {
    this.bytes = buf.slice(start, end);
    const values = this.now;
    this.now = this.last;
    this.last = values;
  }
}

export class NdjsonEncoder implements FilterWriter {
  private buf: Uint8Array = new Uint8Array(CHUNK_BYTES);
  /** `buf` as a DataView, for word stores. */
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private readonly spare: Uint8Array[] = [];
  /** The whole seconds of the last time written, and their digits: a capture's times share them for a second. */
  private lastSeconds = -1;
  private readonly repeated = new RepeatedFields();
  /** Up to ten digits, kept as three little-endian words too, to be written a word at a time. */
  private readonly secondsDigits = new Uint8Array(12);
  private readonly secondsWords = new DataView(this.secondsDigits.buffer);
  private secondsLength = 0;

  /**
   * `sink` receives the bytes in order, a chunk at a time. A chunk is never
   * written again until it is handed back with `release`, once its bytes
   * are out (a chunk that is not handed back is simply not reused).
   */
  constructor(private readonly sink: (bytes: Uint8Array) => void) {}

  /** Takes back a chunk the sink is done with, to write into again. */
  release(chunk: Uint8Array): void {
    if (chunk.buffer.byteLength === CHUNK_BYTES && this.spare.length < SPARE_CHUNKS) this.spare.push(new Uint8Array(chunk.buffer));
  }

  /** Hands the bytes encoded so far to the sink. */
  flush(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    this.use(this.spare.pop() ?? new Uint8Array(CHUNK_BYTES));
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
    this.field(F.server, c.server);
    this.raw(K.firstTs);
    this.number(c.first_ts);
    this.raw(K.lastTs);
    this.number(c.last_ts);
    this.raw(K.connectionDuration);
    this.number(c.duration);
    this.raw(K.handshakeRtt);
    this.numberOrNull(c.handshake_rtt);
    this.raw(K.firstFrame);
    this.uint(c.first_frame);
    this.raw(K.lastFrame);
    this.uint(c.last_frame);
    this.raw(K.packets);
    this.uint(c.packets);
    this.raw(K.clientPackets);
    this.uint(c.client_packets);
    this.raw(K.serverPackets);
    this.uint(c.server_packets);
    this.raw(K.clientBytes);
    this.uint(c.client_bytes);
    this.raw(K.serverBytes);
    this.uint(c.server_bytes);
    this.raw(K.origBytes);
    this.uint(c.orig_bytes);
    this.raw(K.respBytes);
    this.uint(c.resp_bytes);
    this.raw(K.missedBytes);
    this.uint(c.missed_bytes);
    this.raw(K.missedSegments);
    this.uint(c.missed_segments);
    const repeated = this.repeated.bytesIfSame(c);
    if (repeated) {
      this.room(repeated.length);
      this.rawBytes(repeated);
    } else {
      const buf = this.buf;
      const start = this.pos;
      this.wordsAndOptions(c);
      // Written into one chunk: the bytes can be kept.
      if (this.buf === buf) this.repeated.remember(buf, start, this.pos);
    }
    this.raw(K.firstFrameInFile);
    this.uint(c.first_frame_in_file);
    if (c.last_file !== undefined) this.field(F.lastFile, c.last_file);
    this.raw(K.lastFrameInFile);
    this.uint(c.last_frame_in_file);
    this.raw(K.wiresharkFilter);
    const filter = c.wireshark_filter;
    if (typeof filter === 'string') this.string(filter);
    else {
      this.buf[this.pos++] = QUOTE;
      filter.writeTo(this);
      this.buf[this.pos++] = QUOTE;
    }
    this.raw(c.open_at_start ? K.openedBefore : K.openedInCapture);
    this.raw(c.open_at_end ? K.openAtEnd : K.closedInCapture);
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
    const count = log.length;
    if (count === 0) {
      this.raw(K.noTransitions);
      return;
    }
    this.raw(K.transitions);
    for (let i = 0; i < count; i++) {
      this.room(0);
      this.number(log.ts(i));
      const code = log.code(i);
      const frame = log.frame(i);
      this.raw(transitionBody(code, frame !== 0));
      if (frame !== 0) this.uint(frame);
      const inferred = (code & INFERRED_BIT) !== 0;
      this.raw(i + 1 < count ? (inferred ? K.nextAfterInferred : K.next) : inferred ? K.lastInferred : K.last);
    }
  }

  /** Parts of a Wireshark filter (FilterWriter): printable ASCII without quote or backslash, as they are. */
  piece(p: Piece): void {
    this.room(p.bytes.length);
    this.rawBytes(p.bytes);
  }

  /** A whole number 0 <= n (a count, a frame, a port): most fit 32 bits. */
  uint(n: number): void {
    if (n < 4294967296 && n === n >>> 0) {
      this.room(10);
      this.uint32(n);
    } else this.number(n);
  }

  /** The fields from `opening` to `file` (see RepeatedFields). */
  private wordsAndOptions(c: ConnectionSummary): void {
    this.field(F.opening, c.opening);
    this.field(F.closing, c.closing);
    if (c.active_closer === null) this.raw(K.noActiveCloser);
    else this.field(F.activeCloser, c.active_closer);
    this.field(F.clientState, c.client_state);
    this.field(F.serverState, c.server_state);
    this.field(F.connState, c.conn_state);
    this.field(F.history, c.history);
    this.field(F.clientRule, c.client_rule);
    this.raw(K.clientMss);
    this.uintOrNull(c.client_mss);
    this.raw(K.serverMss);
    this.uintOrNull(c.server_mss);
    this.raw(K.clientWscale);
    this.uintOrNull(c.client_wscale);
    this.raw(K.serverWscale);
    this.uintOrNull(c.server_wscale);
    this.raw(K.sack);
    this.booleanOrNull(c.sack);
    this.raw(K.timestamps);
    this.booleanOrNull(c.timestamps);
    this.raw(K.clientAnalysis);
    this.analysis(c.client_analysis);
    this.raw(K.serverAnalysis);
    this.analysis(c.server_analysis);
    this.field(F.vantage, c.vantage);
    if (c.file !== undefined) this.field(F.file, c.file);
  }

  private anomaly(a: Anomaly): void {
    this.field(F.anomalyCode, a.code);
    this.field(F.anomalySide, a.side);
    this.raw(K.since);
    this.number(a.since);
    this.raw(K.duration);
    this.number(a.duration);
    this.field(F.anomalyDetail, a.detail);
    if (a.frame !== undefined) {
      this.raw(K.frame);
      this.uint(a.frame);
    }
    if (a.count !== undefined) {
      this.raw(K.count);
      this.uint(a.count);
    }
    if (a.ack_dropped !== undefined) this.raw(a.ack_dropped ? K.ackDropped : K.ackNotDropped);
    this.raw(K.anomalyEnd);
  }

  private numberOrNull(x: number | null): void {
    if (x === null) this.raw(K.null);
    else this.number(x);
  }

  private uintOrNull(x: number | null): void {
    if (x === null) this.raw(K.null);
    else this.uint(x);
  }

  private booleanOrNull(x: boolean | null): void {
    this.raw(x === null ? K.null : x ? K.true : K.false);
  }

  /** An Expert Info count object: the events that happened, in ANALYSIS_EVENTS order (the order the record's objects are made in). */
  private analysis(counts: AnalysisCounts): void {
    this.buf[this.pos++] = 0x7b;
    let first = true;
    for (let i = 0; i < ANALYSIS_EVENTS.length; i++) {
      const n = counts[ANALYSIS_EVENTS[i]!];
      if (n === undefined) continue;
      this.room(32);
      this.raw(first ? ANALYSIS_KEYS[i]! : ANALYSIS_NEXT_KEYS[i]!);
      this.uint(n);
      first = false;
    }
    this.buf[this.pos++] = 0x7d;
  }

  /** A string field: its bytes remembered by value, or, for a field of many values, key and value apart. */
  private field(f: FieldBytes, value: string): void {
    const bytes = f.get(value);
    if (bytes === undefined) {
      this.raw(f.key);
      this.string(value);
      return;
    }
    this.room(bytes.length);
    this.raw(bytes);
  }

  /** Makes room for `bytes` more and the slack after them: a full chunk goes to the sink. */
  private room(bytes: number): void {
    const need = bytes + SLACK;
    if (this.pos + need <= this.buf.length) return;
    this.flush();
    if (need > this.buf.length) this.use(new Uint8Array(need));
  }

  private use(buf: Uint8Array): void {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /**
   * Prebuilt bytes; the caller made room. A short piece goes a word at a
   * time: its last word may write up to three bytes past it, into the slack
   * that the next write overwrites.
   */
  private raw(p: Prebuilt): void {
    const n = p.length;
    if (n <= WORD_COPY_BYTES) {
      const words = p.words;
      const view = this.view;
      let at = this.pos;
      for (let i = 0; i < words.length; i++, at += 4) view.setInt32(at, words[i]!, true);
    } else {
      this.buf.set(p.bytes, this.pos);
    }
    this.pos += n;
  }

  /** Bytes as they are (a record's repeated fields); the caller made room. */
  private rawBytes(bytes: Uint8Array): void {
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
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

  /**
   * Any value through JSON.stringify, as UTF-8 (at most three bytes per
   * UTF-16 unit), a piece at a time: a long record (the merge state, tens of
   * MB) then needs no buffer of three times its length.
   */
  private json(value: unknown): void {
    let text = JSON.stringify(value) ?? 'null';
    this.room(Math.min(text.length * 3, CHUNK_BYTES - SLACK));
    while (true) {
      // encodeInto writes what fits, never half a character, and says how much of the text that was.
      const { read, written } = utf8.encodeInto(text, this.buf.subarray(this.pos, this.buf.length - SLACK));
      this.pos += written;
      if (read === text.length) return;
      text = text.slice(read);
      this.flush();
    }
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
        // Compared here, not passed on: a call would box the double of every time.
        if (whole === this.lastSeconds) this.sameSeconds();
        else this.seconds(whole);
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

  /** Whole seconds other than the last ones: for times (not durations) their digits are kept for the next. */
  private seconds(n: number): void {
    if (n < 1e6) return this.uint32(n);
    const p = this.pos;
    this.uint32(n);
    this.secondsLength = this.pos - p;
    for (let i = 0; i < this.secondsLength; i++) this.secondsDigits[i] = this.buf[p + i]!;
    this.lastSeconds = n;
  }

  /** The whole seconds last written by `seconds`, again: a capture's times share them for a second. */
  private sameSeconds(): void {
    const view = this.view;
    const words = this.secondsWords;
    const p = this.pos;
    // Three words, whatever the length: past it they write into the slack the micros overwrite.
    view.setInt32(p, words.getInt32(0, true), true);
    view.setInt32(p + 4, words.getInt32(4, true), true);
    view.setInt32(p + 8, words.getInt32(8, true), true);
    this.pos = p + this.secondsLength;
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
    const view = this.view;
    while (n >= 100) {
      const q = (n / 100) >>> 0;
      e -= 2;
      view.setUint16(e, DIGIT_PAIR_WORDS[n - q * 100]!, true);
      n = q;
    }
    if (n >= 10) {
      view.setUint16(e - 2, DIGIT_PAIR_WORDS[n]!, true);
    } else {
      b[--e] = 0x30 + n;
    }
  }

  /** ".dddddd" for 1 <= micros < 1e6, trailing zeros dropped: six digits by pairs, then the zeros taken back. */
  private micros(micros: number): void {
    const b = this.buf;
    const p = this.pos;
    const m = micros | 0;
    const high = (m / 10000) | 0;
    const rest = m - high * 10000;
    const middle = (rest / 100) | 0;
    const low = rest - middle * 100;
    const view = this.view;
    b[p] = 0x2e;
    view.setUint16(p + 1, DIGIT_PAIR_WORDS[high]!, true);
    view.setUint16(p + 3, DIGIT_PAIR_WORDS[middle]!, true);
    view.setUint16(p + 5, DIGIT_PAIR_WORDS[low]!, true);
    let end = p + 7;
    while (b[end - 1] === 0x30) end--;
    this.pos = end;
  }
}
