/**
 * The report's chart tells the truth: on every capture, each state's peak in
 * each interval equals what the records' transitions say, recomputed here
 * from them by brute force, and every state that held an endpoint is drawn.
 */
import test from 'ava';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { runPipeline } from '../../src/analyze.js';
import type { ConnectionRecord, SummaryRecord } from '../../src/records.js';
import { CHARTED_STATES, StateTimeline, type Grid } from '../../src/report/timeline.js';
import type { TcpState } from '../../src/state/states.js';
import { CAPTURES, PUBLIC_CAPTURES, ROOT } from '../helpers/paths.js';

const captures = (dir: string) => readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(dir, f));
const FILES = [...captures(CAPTURES), ...captures(PUBLIC_CAPTURES), ...captures(path.join(ROOT, 'test/regressions'))];

async function chart(file: string, intervals: number, timeWait = 60): Promise<{ grid: Grid; finer: Grid; records: ConnectionRecord[]; end: number } | undefined> {
  const timeline = new StateTimeline(timeWait);
  const records: ConnectionRecord[] = [];
  let summary: SummaryRecord | undefined;
  try {
    await runPipeline([file], { onTransition: timeline.observe, onFirstPacket: timeline.start, timeWait }, (r) => {
      if (r.type === 'connection') records.push(r);
      else if (r.type === 'summary') summary = r;
    });
  } catch {
    return undefined;
  }
  // The same timeline charted twice: the HTML report draws twice the text report's intervals.
  return { grid: timeline.grid(summary!.last_ts, intervals), finer: timeline.grid(summary!.last_ts, intervals * 2), records, end: summary!.last_ts ?? 0 };
}

/** Each state's peak per interval, by brute force over every transition of the records. */
function bruteForce(records: ConnectionRecord[], grid: Grid, endTs: number): Map<TcpState, number[]> {
  const events = records.flatMap((r) => r.transitions.map((t) => ({ at: Math.round(t.ts * 1e6), from: t.from, to: t.to }))).sort((a, b) => a.at - b.at);
  const end = Math.max(Math.round(endTs * 1e6), events.at(-1)?.at ?? 0);
  const counts = new Map<TcpState, number>();
  const peaks = new Map<TcpState, number[]>(CHARTED_STATES.map((s) => [s, grid.times.map(() => 0)]));
  const sample = (interval: number) => {
    for (const state of CHARTED_STATES) {
      const values = peaks.get(state)!;
      values[interval] = Math.max(values[interval]!, counts.get(state) ?? 0);
    }
  };
  let k = 0;
  for (let i = 0; i < grid.times.length; i++) {
    const lo = grid.start + i * grid.width;
    const hi = Math.min(lo + grid.width, end + 1);
    // The moment the interval opens, after the changes of that microsecond.
    for (; k < events.length && events[k]!.at <= lo; k++) {
      counts.set(events[k]!.from, (counts.get(events[k]!.from) ?? 0) - 1);
      counts.set(events[k]!.to, (counts.get(events[k]!.to) ?? 0) + 1);
    }
    if (lo <= end) sample(i);
    while (k < events.length && events[k]!.at < hi) {
      const at = events[k]!.at;
      for (; k < events.length && events[k]!.at === at; k++) {
        counts.set(events[k]!.from, (counts.get(events[k]!.from) ?? 0) - 1);
        counts.set(events[k]!.to, (counts.get(events[k]!.to) ?? 0) + 1);
      }
      sample(i);
    }
  }
  return peaks;
}

for (const file of FILES) {
  test(`${path.basename(file)}: every state's peak in every interval is what the transitions say`, async (t) => {
    const result = await chart(file, 60);
    if (!result || result.records.length === 0) return t.pass('no connection');
    const { records, end } = result;
    for (const [intervals, grid] of [[60, result.grid], [120, result.finer]] as const) {
      t.is(grid.late, 0, 'no change came after its interval was drawn');
      t.true(grid.times.length <= intervals && grid.times.length > 0);
      const expected = bruteForce(records, grid, end);
      for (const state of CHARTED_STATES) {
        const want = expected.get(state)!;
        if (want.every((v) => v === 0)) t.is(grid.peaks[state], undefined, `${state} held no endpoint`);
        else t.deepEqual(grid.peaks[state], want, `${state} in ${intervals} intervals`);
      }
      const entered = new Set(records.flatMap((r) => r.transitions.map((x) => x.to)));
      for (const state of CHARTED_STATES) if (entered.has(state)) t.true(grid.peaks[state] !== undefined || grid.fleeting.includes(state), `${state} was entered: drawn, or named as held for no time`);
    }
  });
}

test('zeek-ssh.pcap, four years long: SYN_SENT peaks at 1, and CLOSE_WAIT and CLOSING are drawn', async (t) => {
  const { grid } = (await chart(path.join(PUBLIC_CAPTURES, 'zeek-ssh.pcap'), 60))!;
  t.is(Math.max(...grid.peaks.SYN_SENT!), 1);
  t.truthy(grid.peaks.CLOSE_WAIT);
  t.truthy(grid.peaks.CLOSING);
  t.true(grid.width > 86_400e6 * 7, 'intervals of weeks');
});

test('a TIME_WAIT that expires after later packets were read is drawn at its expiry, not when it was logged', async (t) => {
  // Short TIME_WAIT: the expiry of each connection is dated back past packets of the next ones.
  for (const file of ['time-wait-storm.pcap', 'server-time-wait.pcap']) {
    const result = (await chart(path.join(CAPTURES, file), 120, 0.001))!;
    t.is(result.grid.late, 0);
    const expected = bruteForce(result.records, result.grid, result.end);
    t.deepEqual(result.grid.peaks.TIME_WAIT, expected.get('TIME_WAIT'));
  }
});
