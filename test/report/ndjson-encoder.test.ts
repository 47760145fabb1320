/**
 * The NDJSON encoder writes connection records byte by byte from prebuilt
 * pieces; its output must equal JSON.stringify of the same record, on every
 * capture and on records made to hit every number and string path.
 */
import test from 'ava';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { runPipelineTo } from '../../src/analyze.js';
import { toConnectionRecord } from '../../src/flow/lifecycle.js';
import type { ConnectionSummary } from '../../src/records.js';
import { NdjsonEncoder } from '../../src/report/ndjson-encoder.js';
import { TransitionLog, transitionCode } from '../../src/state/transition-log.js';
import { CAPTURES, PUBLIC_CAPTURES, ROOT } from '../helpers/paths.js';

const captureFiles = (dir: string) => readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(dir, f));
const ALL = [...captureFiles(CAPTURES), ...captureFiles(PUBLIC_CAPTURES), ...captureFiles(path.join(ROOT, 'test/regressions'))];

/** Encodes records as NDJSON into a string, a small chunk size to make records span chunks. */
function encoder(): { enc: NdjsonEncoder; text: () => string } {
  const chunks: Uint8Array[] = [];
  const enc = new NdjsonEncoder((bytes) => chunks.push(bytes.slice()));
  return { enc, text: () => (enc.flush(), Buffer.concat(chunks).toString('utf8')) };
}

for (const [name, options] of [
  ['defaults', {}],
  ['ladders kept, everything stuck', { keepSegments: 16, stuckAfter: 0 }],
] as const) {
  test(`on every capture (${name}), connection lines equal JSON.stringify of the record`, async (t) => {
    let connections = 0;
    for (const file of ALL) {
      const { enc, text } = encoder();
      let expected = '';
      try {
        await runPipelineTo(file, options, {
          connection: (summary, log) => {
            enc.connection(summary, log);
            expected += JSON.stringify(toConnectionRecord(summary, log)) + '\n';
            connections++;
          },
          finding: () => {},
          summary: () => {},
        });
      } catch {
        continue; // not a capture: nothing to encode
      }
      const actual = text();
      if (actual !== expected) {
        const at = [...actual].findIndex((c, i) => c !== expected[i]);
        t.fail(`${path.basename(file)}: differs at ${at}:\n${actual.slice(at - 80, at + 40)}\n${expected.slice(at - 80, at + 40)}`);
        return;
      }
    }
    t.true(connections > 1000, `${connections} connections compared`);
  });
}

/** A record with every optional part, and numbers and strings chosen to hit every path of the encoder. */
function crafted(first: number, detail: string, file: string | undefined, extra: number): ConnectionSummary {
  return {
    type: 'connection',
    id: 'C1',
    client: '[2001:db8::1]:40000',
    server: '10.0.0.2:80',
    first_ts: first,
    last_ts: first + extra,
    duration: extra,
    handshake_rtt: extra % 2 === 0 ? null : first,
    first_frame: extra,
    last_frame: 4294967295,
    packets: 2 ** 53 - 1,
    client_packets: 2 ** 53 - 2,
    server_packets: 1,
    client_bytes: 4294967296,
    server_bytes: 0,
    orig_bytes: extra,
    resp_bytes: 4294967295,
    missed_bytes: extra,
    missed_segments: extra,
    opening: 'handshake',
    closing: 'fin',
    active_closer: null,
    client_state: 'TIME_WAIT',
    server_state: 'CLOSED',
    conn_state: 'SF',
    history: 'ShADadFf',
    client_rule: 'syn',
    client_mss: extra % 3 === 0 ? null : 1460,
    server_mss: extra,
    client_wscale: extra % 2 === 0 ? null : 14,
    server_wscale: 0,
    sack: extra % 3 === 0 ? null : extra % 3 === 1,
    timestamps: extra % 2 === 0,
    client_analysis: { retransmission: extra, fast_retransmission: 1, duplicate_ack: 2, out_of_order: 3, lost_segment: 4, zero_window: 5, window_full: 6, keep_alive: 2 ** 40 },
    server_analysis: extra % 2 === 0 ? {} : { duplicate_ack: extra, keep_alive: 1 },
    vantage: 'near_server',
    file,
    first_frame_in_file: 1,
    last_file: extra % 5 === 0 ? undefined : detail,
    last_frame_in_file: extra,
    wireshark_filter: `(ip.src==10.0.0.1 && tcp.srcport==40000) && !(frame.number in {${extra} 7}) ${detail}`,
    open_at_start: false,
    open_at_end: true,
    anomalies: [
      { code: 'zero_window', side: 'server', since: first, duration: extra, detail, frame: 7 },
      { code: 'retransmissions', side: 'client', since: -extra, duration: 0.1 + 0.2, detail: 'x', count: 3 },
      { code: 'half_open', side: 'server', since: first, duration: 1, detail: 'dropped', frame: 9, ack_dropped: true },
    ],
    segments: [{ frame: 1, ts: first, from: 'client', flags: 'S', seq: 0, ack: 0, len: 0, win: 65535, retransmission: true }],
  };
}

const NUMBERS = [
  0, -0, 1, 9, 10, 99, 100, 1e6, 123456789, 4294967295, 4294967296, 2 ** 53 - 1, 2 ** 53, 1e21, 1.5e300, -1, -1795576259.5,
  0.000001, 0.0000001, 1e-7, 0.1, 0.5, 0.999999, 0.9999995, 1795576259.90796, 1795576259.000001, 1795576259.1, 4294967295.999999,
  1795576259.1234567, Math.PI, NaN, Infinity, -Infinity, 5e-324, Number.MAX_VALUE,
];

test('crafted records: numbers of every kind and escaped strings are written as JSON.stringify writes them', (t) => {
  const log = new TransitionLog();
  const { enc, text } = encoder();
  let expected = '';
  let seed = 1;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const values = [...NUMBERS];
  for (let i = 0; i < 2000; i++) {
    values.push(Math.round((1e9 + random() * 3.2e9) * 1e6) / 1e6); // capture times, rounded to the microsecond
    values.push(Math.round(random() * 1e6 * 1e6) / 1e6); // durations
    values.push(random() * 10 ** (random() * 40 - 20)); // anything
  }
  const strings = ['plain', 'quote " and backslash \\', 'tab\tnewline\n\u0001', 'é ü 中文 🚀', '\ud800 lone surrogate', '', '\u007f'];
  values.forEach((x, i) => {
    log.clear();
    log.push(x, i % 3 === 0 ? 0 : i, transitionCode('client', 'CLOSED', 'SYN_SENT', 'sent SYN', false));
    log.push(x, 4294967295, transitionCode('server', 'TIME_WAIT', 'CLOSED', 'TIME_WAIT expired', true));
    const summary = crafted(x, strings[i % strings.length]!, i % 4 === 0 ? undefined : strings[(i + 1) % strings.length], Math.abs(x) < 1e15 ? Math.abs(Math.trunc(x)) : 1);
    enc.connection(summary, log);
    expected += JSON.stringify(toConnectionRecord(summary, log)) + '\n';
  });
  const actual = text();
  const lines = actual.split('\n');
  const wanted = expected.split('\n');
  for (let i = 0; i < wanted.length; i++) {
    if (lines[i] !== wanted[i]) {
      t.fail(`line ${i} (number ${values[i]}):\n${lines[i]}\n${wanted[i]}`);
      return;
    }
  }
  t.is(lines.length, wanted.length);
});

test('other records and a record longer than a chunk come out whole', (t) => {
  const { enc, text } = encoder();
  const huge = { type: 'summary', warnings: ['w'.repeat(3 << 20)], text: 'ü'.repeat(1 << 20) };
  enc.record({ type: 'finding', code: 'syn_flood' });
  enc.record(huge);
  t.is(text(), `{"type":"finding","code":"syn_flood"}\n${JSON.stringify(huge)}\n`);
});
