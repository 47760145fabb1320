/**
 * Against tshark, on every kernel-made and public capture: each
 * connection's `wireshark_filter` selects exactly its `packets` frames
 * (tshark's io,stat counts the filters in one pass), and its per-side Expert
 * Info counts equal tshark's `tcp.analysis.*` flags on its frames, as does
 * its handshake RTT tshark's initial RTT.
 *
 * tshark takes a fifth of a second to start, more than most of these
 * captures take to read; so small captures are read in groups, concatenated
 * by mergecap into one pcapng, one tshark pass a group, each filter's frame
 * numbers moved by where its capture begins there. Damaged captures, and any
 * large enough to fill a pass, run alone. io,stat's cost is frames times
 * filters: a capture of many frames has an evenly spaced sample of its
 * filters counted (every filter has one shape, the 4-tuple both ways and the
 * lifecycle's frame range), while the Expert Info of every frame is checked.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runPipeline } from '../../src/analyze.js';
import { ANALYSIS_EVENTS } from '../../src/expert/tcp-analysis.js';
import type { ConnectionRecord, SummaryRecord } from '../../src/records.js';
import { CAPTURES, PUBLIC_CAPTURES, ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
const captures = (dir: string) => readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(dir, f));
const FILES = [...captures(CAPTURES), ...captures(PUBLIC_CAPTURES), path.join(ROOT, 'test/fixtures/decode/bridge-any-copies.pcap')];

/**
 * Where tshark's analysis and ours part, and why: the differences allowed
 * per capture (each must show up, and nothing else may differ).
 */
const DIFFERENCES: Record<string, { allowed: RegExp; why: string }> = {
  'sv-split-handshake-5whs.pcap': { allowed: /^C1 /, why: 'tshark opens a second conversation at the second SYN of the split handshake, and starts its analysis again' },
  'zeek-pppoe-over-qinq.pcap': {
    allowed: / server (retransmission|duplicate_ack|out_of_order):/,
    why: 'on five ACKs the IP total length claims 8 bytes more than the PPPoE payload length: tshark takes the PPPoE length (no payload), this tool the IP length',
  },
  'zeek-tcp-rst-inject-rae.pcap': { allowed: /handshake_rtt/, why: "tshark's initial RTT ends at the first ACK after the SYN, here an injected RST-ACK; handshake_rtt ends at the handshake's ACK" },
  'zeek-nflog-http.pcap': { allowed: /handshake_rtt/, why: "tshark times NFLOG packets by the NFLOG timestamp attribute; this tool by the capture record's time" },
  'bridge-any-copies.pcap': { allowed: /handshake_rtt/, why: "tshark's initial RTT runs from the second copy of the SYN, which this tool counts once, at its first" },
  'zeek-ipv6-http-atomic-frag.pcap': { allowed: /handshake_rtt/, why: "the SYN was captured after its SYN-ACK: this tool gives it the SYN-ACK's time (a connection's time never runs backwards), tshark keeps its own" },
  'tcpdump-sll-timestamp-invalid-micro.pcap': { allowed: /handshake_rtt/, why: 'a microsecond field of a million or more: tshark and this reader make different times of it' },
};

interface Analysed {
  file: string;
  records: ConnectionRecord[];
  /** The records whose filter tshark counts: all, or a sample on a capture of many frames. */
  counted: number[];
  owner: Map<number, number>;
  /** Frames read, as tshark numbers them; whether mergecap can take the file whole. */
  frames: number;
  whole: boolean;
}

async function analyse(file: string): Promise<Analysed | undefined> {
  const records: ConnectionRecord[] = [];
  const owner = new Map<number, number>();
  let summary: SummaryRecord | undefined;
  try {
    await runPipeline([file], { onTcpPacket: (frame, id) => owner.set(frame.frameNo, id) }, (r) => {
      if (r.type === 'connection') records.push(r);
      else if (r.type === 'summary') summary = r;
    });
  } catch {
    return undefined; // not a capture at all: nothing to compare
  }
  const whole = summary!.errors.length === 0 && !summary!.warnings.some((w) => /cut short|truncated/.test(w));
  const frames = summary!.packets;
  return { file, records, counted: sample(records.length, Math.max(MIN_FILTERS, Math.min(GROUP_FILTERS, Math.floor(FILTER_FRAMES / Math.max(1, frames))))), owner, frames, whole };
}

/** `count` of the indices below `n`, evenly spaced, first and last included. */
function sample(n: number, count: number): number[] {
  if (n <= count) return [...Array(n).keys()];
  return [...new Set(Array.from({ length: count }, (_, i) => Math.round((i * (n - 1)) / (count - 1))))];
}

const FIELDS = ['frame.number', 'ip.src', 'ipv6.src', 'tcp.srcport', 'tcp.analysis.initial_rtt', ...ANALYSIS_EVENTS.map((e) => `tcp.analysis.${e}`)];

/** tshark's exit code 2 after a damaged record still printed what it read. */
async function tsharkOutput(args: string[]): Promise<string> {
  try {
    return (await run('tshark', args, { maxBuffer: 1 << 30 })).stdout;
  } catch (error) {
    return (error as { stdout?: string }).stdout ?? '';
  }
}

/** A group of captures read in one pass: at most this many frames, and filters. */
const GROUP_FRAMES = 5000;
const GROUP_FILTERS = 200;
/** io,stat's work per capture, frames times filters counted, and the fewest filters counted whatever the frames. */
const FILTER_FRAMES = 2_000_000;
const MIN_FILTERS = 24;

/**
 * One tshark pass over `file`: the fields of every frame, and io,stat's
 * frame count for every filter. io,stat prints no counts for a capture whose
 * frames all have one time; those (a packet or three) count each filter
 * with -Y.
 */
async function tshark(file: string, filters: string[]): Promise<{ frames: string[][]; counts: number[] }> {
  const output = await tsharkOutput(['-r', file, '-T', 'fields', '-E', 'occurrence=f', ...FIELDS.flatMap((f) => ['-e', f]), '-z', `io,stat,0,${filters.join(',')}`]);
  const frames = output.split(/\n=+\n\| IO Statistics/)[0]!.split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split('\t'));
  // "|  0.0 <> 28.9 |      9 |   634 |      10 |   700 |   (padding)   |": frames and bytes per filter.
  const row = output.split('\n').find((l) => l.includes('<>'));
  if (row) return { frames, counts: row.split('|').map((c) => c.trim()).filter((c) => c !== '').slice(1).filter((_, k) => k % 2 === 0).map(Number) };
  const counts: number[] = [];
  for (const filter of filters) counts.push((await tsharkOutput(['-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'])).split('\n').filter(Boolean).length);
  return { frames, counts };
}

/** A filter as it reads in a file where its capture begins after `offset` frames. */
const shifted = (filter: string, offset: number) => filter.replace(/frame\.number(>=|<=|!=)(\d+)/g, (_, op: string, n: string) => `frame.number${op}${Number(n) + offset}`);

interface Seen {
  /** Per filter counted, the frames tshark selected; and the capture's frames, numbered in it. */
  counts: number[];
  frames: string[][];
}

const analysed = (await Promise.all(FILES.map(analyse))).filter((a): a is Analysed => a !== undefined && a.records.length > 0);
const dir = mkdtempSync(path.join(os.tmpdir(), 'wireshark-'));

/** A connection's two endpoints, in either order: tshark keys its conversations so. */
const tuples = (a: Analysed) => a.records.map((r) => [r.client, r.server].sort().join(' '));

/**
 * Groups of captures read in one pass each: no two captures of a group share
 * a 4-tuple, or tshark would take their connections for one conversation.
 */
function plan(): Map<string, Promise<Seen>> {
  const groups: { members: Analysed[]; frames: number; filters: number; tuples: Set<string> }[] = [];
  for (const a of analysed) {
    const own = tuples(a);
    const alone = !a.whole || a.frames > GROUP_FRAMES || a.counted.length > GROUP_FILTERS;
    const group = alone
      ? undefined
      : groups.find((g) => g.tuples.size > 0 && g.frames + a.frames <= GROUP_FRAMES && g.filters + a.counted.length <= GROUP_FILTERS && !own.some((t) => g.tuples.has(t)));
    if (group) {
      group.members.push(a);
      group.frames += a.frames;
      group.filters += a.counted.length;
      for (const t of own) group.tuples.add(t);
    } else groups.push({ members: [a], frames: a.frames, filters: a.counted.length, tuples: new Set(alone ? [] : own) });
  }
  const seen = new Map<string, Promise<Seen>>();
  groups.forEach(({ members: group }, g) => {
    const offsets = group.map((_, i) => group.slice(0, i).reduce((n, a) => n + a.frames, 0));
    const pass = (async () => {
      let file = group[0]!.file;
      if (group.length > 1) {
        file = path.join(dir, `group-${g}.pcapng`);
        await run('mergecap', ['-a', '-F', 'pcapng', '-w', file, ...group.map((a) => a.file)]);
      }
      return tshark(file, group.flatMap((a, i) => a.counted.map((k) => shifted(a.records[k]!.wireshark_filter, offsets[i]!))));
    })();
    group.forEach((a, i) => {
      const first = group.slice(0, i).reduce((n, b) => n + b.counted.length, 0);
      seen.set(a.file, pass.then(({ frames, counts }) => ({
        counts: counts.slice(first, first + a.counted.length),
        frames: frames
          .filter((f) => Number(f[0]) > offsets[i]! && Number(f[0]) <= offsets[i]! + a.frames)
          .map((f) => [String(Number(f[0]) - offsets[i]!), ...f.slice(1)]),
      })));
    });
  });
  return seen;
}

const passes = plan();

for (const a of analysed) {
  const name = path.basename(a.file);
  test(`${name}: every wireshark_filter selects exactly the connection's packets, and the Expert Info counts are tshark's`, async (t) => {
    const { records, counted, owner } = a;
    const { frames, counts } = await passes.get(a.file)!;
    t.is(counts.length, counted.length, 'io,stat counted every filter given');
    counted.forEach((k, i) => t.is(counts[i], records[k]!.packets, `${records[k]!.id}: ${records[k]!.wireshark_filter}`));

    const byId = new Map(records.map((r) => [r.first_frame, r]));
    const theirs = new Map<string, number>();
    const initialRtt = new Map<number, number>();
    for (const f of frames) {
      const id = owner.get(Number(f[0]));
      if (id === undefined) continue;
      const r = byId.get(id)!;
      const src = f[1] ? `${f[1]}:${f[3]}` : `[${f[2]}]:${f[3]}`;
      const side = src === r.client ? 'client' : 'server';
      if (f[4] && !initialRtt.has(id)) initialRtt.set(id, Number(f[4]));
      ANALYSIS_EVENTS.forEach((event, k) => {
        if (f[5 + k]) theirs.set(`${id} ${side} ${event}`, (theirs.get(`${id} ${side} ${event}`) ?? 0) + 1);
      });
    }
    const differ: string[] = [];
    for (const r of records) {
      for (const side of ['client', 'server'] as const) {
        for (const event of ANALYSIS_EVENTS) {
          const ours = r[`${side}_analysis`][event] ?? 0;
          const tsharks = theirs.get(`${r.first_frame} ${side} ${event}`) ?? 0;
          if (ours !== tsharks) differ.push(`${r.id} ${side} ${event}: ${ours}, tshark ${tsharks}`);
        }
      }
      // tshark's initial RTT is ours where the handshake's ACK was the first pure ACK after the SYN.
      const rtt = initialRtt.get(r.first_frame);
      if (r.handshake_rtt !== null && rtt !== undefined && Math.abs(rtt - r.handshake_rtt) > 1e-6) differ.push(`${r.id} handshake_rtt ${r.handshake_rtt}, tshark ${rtt}`);
    }
    const known = DIFFERENCES[name];
    if (!known) return t.deepEqual(differ, []);
    t.not(differ.length, 0, `the known difference shows: ${known.why}`);
    t.deepEqual(differ.filter((d) => !known.allowed.test(d)), [], known.why);
  });
}
