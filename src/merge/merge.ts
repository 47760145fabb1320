/**
 * `merge`: the analyses of consecutive files of one capture, joined into the
 * analysis of them all, as one run over all the files gives it.
 *
 * The inputs are put in the time order of their files and joined left to
 * right. A record whose lifecycle ended inside its file is final: its bytes
 * pass through, only its id renamed to count frames across all the files
 * (`C` and the frame number one run gives it). What a file edge cut is
 * joined from the merge states: the lifecycles open at the end of the files
 * so far are restored into a tracker, their clock at the last packet read,
 * and it is fed what the next file kept of the same 4-tuples: the first
 * packets of lifecycles that began with anything but a plain handshake, and
 * where the others began with a SYN. The tracker then decides, by its own
 * rules, what one run decides: a connection goes on (its packets replayed),
 * a new SYN takes the 4-tuple over (the old lifecycle's TIME_WAIT ended, the
 * new one's record given its `time_wait_reuse`), or time runs it out.
 * Records it makes are encoded anew; counts and findings are summed from the
 * merge states and the records made or kept apart.
 *
 * Where the kept packets do not reach (a connection with more packets after
 * the edge than were kept, or a SYN sent again across the edge and then a
 * plain handshake), the join cannot be exact: the merge says so on stderr
 * and in the summary's warnings, naming the connections, and keeps the
 * records as the files' analyses made them.
 */
import { addTally, buildSummary, countRecord, emptyTally, type ConnectionTally, type ReadTally } from '../analyze.js';
import { PacketKind, PacketView, SYN } from '../decode/packet.js';
import { CaptureGaps } from '../flow/capture-gaps.js';
import { Lifecycle, toConnectionRecord, type LifecycleLimits } from '../flow/lifecycle.js';
import { FlowTracker, startsNewLifecycle, type TrackerWatch } from '../flow/tracker.js';
import { FILE_SLOT, PACKET_SLOTS, packetTs, unpackPacket } from '../parallel/packed-packets.js';
import type { ConnectionRecord, ConnectionSummary, FindingRecord, SummaryRecord } from '../records.js';
import { NdjsonEncoder } from '../report/ndjson-encoder.js';
import { timeWaitReuse } from '../rules/anomalies.js';
import { FindingsAggregator } from '../rules/findings.js';
import { transitionCode, type Cause, type TransitionLogView } from '../state/transition-log.js';
import { AnalysisFile, MergeInputError } from './analysis-file.js';
import { WATCHED_PACKETS } from './collector.js';
import { addressPacket, parseEndpoint, type Endpoint } from './endpoint.js';
import { lineHead, tupleKey, withAnomalyReplaced, withId, type LineHead } from './lines.js';
import { readHeads, readOpen, readWatched, takeSpare, writeParts, type Head, type WatchedEntry } from './parts.js';
import { capture, restore } from './snapshot.js';
import { aggregatesFromJson, aggregatesToJson, MERGE_STATE_VERSION, type MergeStateRecord } from './state.js';

export interface MergeSink {
  /** Bytes of connection records, in output order. */
  write(bytes: Buffer): void;
  /** A promise while the output has more queued than it wants: the merge reads on when it settles. */
  room?(): Promise<void> | undefined;
  finding(record: FindingRecord): void;
  mergeState(record: MergeStateRecord): void;
  summary(record: SummaryRecord): void;
}

/**
 * A lifecycle open at the end of the range merged so far: its state, and its
 * record as of the end of the input it was last joined at (`stale`: an
 * earlier input than the last; its record is made again at the end, and the
 * bytes it had are let go).
 */
interface Open {
  key: string;
  id: string;
  lifecycle: Lifecycle;
  record: Buffer;
  stale: boolean;
}

/** A record of the next file on the 4-tuple of an open lifecycle: held until the join says what becomes of it. */
interface Held {
  line: Buffer;
  head: LineHead;
  /** The frame its id names, counted across the merged range. */
  frame: number;
  /** Open at the end of its file: its state. */
  lifecycle: Lifecycle | undefined;
}

/** The output is handed on in pieces of this size. */
const OUT_CHUNK = 1 << 20;
/** Replayed packets between two looks at the output's room. */
const ROOM_EVERY = 256;
const TIME_WAIT_REUSE: ConnectionSummary['anomalies'][number]['code'] = 'time_wait_reuse';
const TIME_WAIT_REUSE_CODE = Buffer.from(`"code":"${TIME_WAIT_REUSE}"`);

export async function mergeAnalyses(paths: string[], sink: MergeSink, warn: (message: string) => void): Promise<SummaryRecord> {
  const inputs = paths.map((p) => new AnalysisFile(p));
  try {
    const options = inputs[0]!.state.options;
    for (const input of inputs) {
      const o = input.state.options;
      if (o.stuck_after !== options.stuck_after || o.time_wait !== options.time_wait || o.max_live !== options.max_live) {
        throw new MergeInputError(input.path, `was analyzed with other options (--stuck-after ${o.stuck_after}, --time-wait ${o.time_wait}, --max-live ${o.max_live}) than ${inputs[0]!.path} (${options.stuck_after}, ${options.time_wait}, ${options.max_live})`);
      }
    }
    // In the time order of their files, as one run reads them (files that begin at the same moment by name).
    const start = (a: AnalysisFile) => a.state.files[0]?.first_ts ?? Infinity;
    inputs.sort((a, b) => start(a) - start(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const merger = new Merger(options, sink, warn);
    for (const input of inputs) await merger.add(input);
    return await merger.finish();
  } finally {
    for (const input of inputs) input.close();
  }
}

class Merger {
  private frames = 0;
  private written = 0;
  private read: ReadTally | undefined;
  private readonly files: MergeStateRecord['files'] = [];
  /** Counts and findings of the final records, those made or kept apart aside (what the merged merge state holds). */
  private readonly settled: { tally: ConnectionTally; findings: FindingsAggregator };
  /** Counts and findings of the final records kept apart: watched lifecycles' records (the next merge may make them again). */
  private readonly apart: { tally: ConnectionTally; findings: FindingsAggregator };
  private open: Open[] = [];
  private readonly heads = new Map<number, Head>();
  private readonly watched = new Map<number, WatchedEntry>();
  private readonly endpoints = new Map<string, Endpoint | undefined>();
  private readonly warnings: string[] = [];
  private readonly gaps = new CaptureGaps();
  private readonly encoder: NdjsonEncoder;
  private buf = Buffer.allocUnsafe(OUT_CHUNK);
  private pos = 0;
  /** Encodes records kept for the end (of lifecycles still open): each flushed alone, copied out. */
  private readonly apartEncoder: NdjsonEncoder = new NdjsonEncoder((bytes) => {
    this.apartBytes = this.slabs.copy(bytes);
    this.apartEncoder.release(bytes);
  });
  private apartBytes: Buffer | undefined;
  /** Where the records kept for the next join are copied: the files' lines of open lifecycles, and those the joins make. */
  private readonly slabs = new Slabs();
  /** Lifecycles the joins ended, for the next file's open ones to be restored into (see takeSpare). */
  private readonly spare: Lifecycle[] = [];

  constructor(
    private readonly options: MergeStateRecord['options'],
    private readonly sink: MergeSink,
    private readonly warn: (message: string) => void,
  ) {
    const aggregator = () => new FindingsAggregator({ stuckAfter: options.stuck_after });
    this.settled = { tally: emptyTally(), findings: aggregator() };
    this.apart = { tally: emptyTally(), findings: aggregator() };
    const encoder: NdjsonEncoder = (this.encoder = new NdjsonEncoder((bytes) => {
      this.out(bytes);
      encoder.release(bytes);
    }));
  }

  /** Output bytes go through one buffer: a record's pieces are copied in, and the sink gets it a mebibyte at a time. */
  private out(piece: Uint8Array | string): void {
    if (typeof piece === 'string') return this.outText(piece);
    const bytes = piece;
    this.written += bytes.length;
    if (this.pos + bytes.length > this.buf.length) {
      this.flushOut();
      if (bytes.length > this.buf.length) {
        this.sink.write(Buffer.from(bytes));
        return;
      }
    }
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Text (a record's new head) written straight into the output buffer. */
  private outText(text: string): void {
    if (this.pos + text.length * 3 > this.buf.length) {
      this.flushOut();
      if (text.length * 3 > this.buf.length) return this.out(Buffer.from(text));
    }
    const n = this.buf.write(text, this.pos);
    this.pos += n;
    this.written += n;
  }

  private flushOut(): void {
    if (this.pos === 0) return;
    this.sink.write(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(OUT_CHUNK);
    this.pos = 0;
  }

  private say(message: string): void {
    this.warnings.push(message);
    this.warn(message);
  }

  /** Joins the next input (in time order) to the range merged so far. */
  async add(input: AnalysisFile): Promise<void> {
    const state = input.state;
    const base = this.frames;
    const previousEnd = this.read?.lastTs ?? null;
    const clock = this.read?.lastTcpTs ?? null;
    // Stretches between files the capture did not see, as one run finds them: waits across them are not time stuck.
    let gapWarning: string | undefined;
    let seen = this.read?.lastTs ?? -Infinity;
    for (const [i, file] of state.files.entries()) {
      if (file.first_ts !== null && Number.isFinite(seen) && file.first_ts - seen > this.options.stuck_after) {
        this.gaps.add(seen, file.first_ts);
        if (i === 0) gapWarning = `${file.name} begins ${(file.first_ts - seen).toFixed(1)} s after the previous file ends, longer than --stuck-after (${this.options.stuck_after} s): the capture saw nothing in between, and that time is not counted as time stuck`;
      }
      if (file.last_ts !== null) seen = Math.max(seen, file.last_ts);
    }
    this.read = this.read ? addReads(this.read, state.read, input.path, gapWarning) : { ...structuredClone(state.read), warnings: withoutTotals(state.read.warnings) };
    const fileBase = this.files.length;
    this.files.push(...state.files);
    this.frames += state.files.reduce((n, f) => n + f.frames, 0);
    if (state.final.tally.evicted > 0) this.say(`${input.path}: its analysis reported ${state.final.tally.evicted} connection(s) early at the live-connection limit; the merge cannot tell how one run would have evicted, and keeps them as they are`);

    const settled = aggregatesFromJson(state.final.findings);
    for (const a of settled) for (const e of a.examples) e.id = `C${base + Number(e.id.slice(1))}`;
    this.settled.findings.merge(settled);
    addTally(this.settled.tally, state.final.tally);

    const heads = new Map<number, Head>();
    const watched = new Map<number, WatchedEntry>();
    const snapshots: Lifecycle[] = [];
    for (const part of state.parts) {
      readHeads(part, base, heads);
      readWatched(part, base, fileBase, WATCHED_PACKETS, watched);
      snapshots.push(...readOpen(part, this.spare));
    }
    for (const [frame, head] of heads) this.heads.set(frame, head);
    for (const [frame, entry] of watched) this.watched.set(frame, entry);

    const openByKey = new Map<string, Open>(this.open.map((o) => [o.key, o]));
    const held = new Map<string, Held[]>();
    // Held lines live until this input is joined, as views into the chunks they were read in.
    const nextOpen: Open[] = [];
    /** A record of this input: held if an open lifecycle shares its 4-tuple, else through (final) or kept (open). */
    const take = (line: Buffer, lifecycle: Lifecycle | undefined): void => {
      const head = lineHead(line);
      if (!head) throw new MergeInputError(input.path, 'holds a connection record this version did not write');
      const frame = base + head.frame;
      const key = tupleKey(head.client, head.server);
      if (openByKey.has(key)) {
        const records = held.get(key);
        const record = { line, head, frame, lifecycle };
        if (records) records.push(record);
        else held.set(key, [record]);
        return;
      }
      this.keep(line, head, frame, key, lifecycle, watched.has(frame), nextOpen);
    };
    const room = () => this.room();
    input.open();
    let i = 0;
    try {
      await input.lines(0, state.open.from, (line) => take(line, undefined), room);
      await input.lines(state.open.from, state.open.to, (line) => take(line, snapshots[i++]), room);
    } finally {
      input.close();
    }
    if (i !== snapshots.length) throw new MergeInputError(input.path, `its merge state holds ${snapshots.length} open lifecycles and its output ${i} records of them`);

    if (this.open.length > 0) {
      await this.join(this.open, held, clock ?? -Infinity, state.read.lastTcpTs ?? clock ?? -Infinity, state.read.lastTs ?? previousEnd ?? 0, input, nextOpen);
    }
    this.open = nextOpen;
  }

  /** A promise while the output has more queued than it wants: reading and a join's writing wait on it. */
  private room(): Promise<void> | undefined {
    return this.sink.room?.();
  }

  /** A record that passes through: final (counted) or open at the end of the range (kept for the next join). */
  private keep(line: Buffer | readonly (Buffer | string)[], head: LineHead, frame: number, key: string, lifecycle: Lifecycle | undefined, apart: boolean, open: Open[]): void {
    // A patched line is pieces: its head, where the id is, lies in the first.
    const pieces = Buffer.isBuffer(line) ? withId(line, head, frame) : [...withId(line[0] as Buffer, head, frame), ...line.slice(1)];
    if (lifecycle) {
      open.push({ key, id: `C${frame}`, lifecycle, record: this.slabs.join(pieces), stale: false });
      return;
    }
    if (apart) this.count(this.apart, parseRecord(this.slabs.join(pieces)));
    // Records the join made may still sit in the encoder: they go out first, so no line is cut by another.
    this.encoder.flush();
    for (const piece of pieces) this.out(piece);
  }

  private count(into: { tally: ConnectionTally; findings: FindingsAggregator }, [summary, log]: [ConnectionSummary, TransitionLogView]): void {
    countRecord(into.tally, summary);
    into.findings.add(summary, log);
  }

  /**
   * Joins the open lifecycles of the range so far with what the next input
   * kept of their 4-tuples, in a tracker that restores them. Only those the
   * next input touches go through it: a 4-tuple of its records, or a TIME_WAIT
   * that runs out by its clock. One run leaves the others as they stand, and
   * so does the join: they go on, stale, their records made at the end.
   */
  private async join(opens: Open[], held: Map<string, Held[]>, clock: number, nextClock: number, nextEnd: number, input: AnalysisFile | undefined, nextOpen: Open[]): Promise<void> {
    const timeWait = this.options.time_wait;
    const watch = new JoinWatch(this.spare);
    let sweepCheck: ((l: Lifecycle, at: number) => void) | undefined;
    const tracker = new FlowTracker({ stuckAfter: this.options.stuck_after, timeWait, maxLive: Number.MAX_SAFE_INTEGER, keepSegments: 0, watch, gaps: this.gaps, recycled: this.spare, recycleLimit: SPARE_LIFECYCLES }, (summary, log) => {
      const l = watch.current!;
      summary.id = watch.ids.get(l)!;
      const key = watch.keys.get(l)!;
      if (watch.closing) {
        const record = this.encodeApart(summary, log);
        nextOpen.push({ key, id: summary.id, lifecycle: watch.opened!, record, stale: false });
        return;
      }
      const apart = this.watched.has(Number(summary.id.slice(1)));
      this.count(apart ? this.apart : this.settled, [summary, log]);
      this.encoder.connection(summary, log);
    });
    tracker.advance(clock);
    watch.sweepCheck = (l, at) => sweepCheck?.(l, at);
    sweepCheck = (l, at) => {
      const earliest = l.lastTs + timeWait;
      if (at <= earliest) return;
      const limits = { stuckAfter: this.options.stuck_after, gaps: this.gaps };
      if (recordAt(l, earliest, timeWait, limits) !== recordAt(l, at, timeWait, limits)) {
        this.say(`${watch.ids.get(l)}: its record depends on when one run would have noticed that its TIME_WAIT had run out, which the merge cannot tell (a zero window still open); kept as at ${at}`);
      }
    };

    // The events: each held record's kept packets, or where it began with a SYN; in time order. A record after
    // one that began with a SYN is never replayed (that SYN decides the 4-tuple), so it makes no event. An event
    // is a few numbers: its packet is filled into one view as it is replayed.
    interface Event { key: string; record: Held; index: number; ts: number; entry: WatchedEntry | undefined; stub: boolean; file: string | undefined; frame: number }
    const events: Event[] = [];
    const failed = new Set<string>();
    const failedRecord = new Set<Held>();
    const packet = new PacketView();
    for (const [key, records] of held) {
      for (const record of records) {
        const entry = this.watched.get(record.frame);
        if (entry) {
          const kept = Math.min(entry.total, WATCHED_PACKETS);
          for (let index = 0; index < kept; index++) {
            unpackPacket(entry.packets, index, packet);
            const file = entry.packets[index * PACKET_SLOTS + FILE_SLOT]!;
            // A lifecycle this packet begins is named by its own frame across the range, as one run names it.
            events.push({ key, record, index, ts: packet.ts, entry, stub: false, file: this.files[file]?.name, frame: this.framesBefore(file) + packet.fileFrameNo });
          }
          if (entry.total > WATCHED_PACKETS) failedRecord.add(record);
          continue;
        }
        const head = this.heads.get(record.frame);
        if (!head || !this.endpoint(record.head.client) || !this.endpoint(record.head.server)) {
          // Nothing kept of where it began (a lifecycle an earlier merge joined): the 4-tuple cannot be replayed from here on.
          failedRecord.add(record);
          events.push({ key, record, index: 0, ts: firstTs(record.line) ?? 0, entry: undefined, stub: true, file: undefined, frame: record.frame });
        } else {
          events.push({ key, record, index: 0, ts: head.ts, entry: undefined, stub: true, file: this.fileOf(record.frame), frame: record.frame });
        }
        break;
      }
    }
    events.sort((a, b) => a.ts - b.ts || a.record.frame - b.record.frame || a.index - b.index);

    // The clock runs to the next input's last packet (or a later kept one): a TIME_WAIT over by then ends in the join.
    const horizon = Math.max(clock, nextClock, events.at(-1)?.ts ?? -Infinity);
    const live = new Map<string, Lifecycle>();
    for (const o of opens) {
      const l = o.lifecycle;
      if (input && !held.has(o.key) && !(l.finished && l.lastTs + timeWait <= horizon)) {
        // A stale record is made again at the end: its bytes (which keep a slab alive) are let go.
        nextOpen.push(o.stale ? o : { ...o, record: NO_RECORD, stale: true });
        continue;
      }
      watch.mark(l, o.id, o.key);
      tracker.adopt(l);
      live.set(o.key, l);
    }

    /** Per 4-tuple: the records of this input that stand as they are, and those replaced. */
    const passed = new Set<Held>();
    const replaced = new Set<Held>();
    const patched = new Map<Held, (Buffer | string)[]>();
    const fail = (key: string, record: Held, why: string): void => {
      if (failed.has(key)) return;
      failed.add(key);
      this.say(`${watch.ids.get(live.get(key)!) ?? '?'} (${record.head.client} ${record.head.server}) goes on in ${input!.path} as C${record.frame}, ${why}: the merge cannot replay it, and keeps both records as the files' analyses made them`);
    };
    const decided = new Set<string>();
    let fileBackward = 0;
    let replayed = 0;
    for (const event of events) {
      if (++replayed % ROOM_EVERY === 0) await this.room();
      const { key, record } = event;
      if (failed.has(key) || decided.has(key)) continue;
      if (event.index === 0 && failedRecord.has(record)) {
        fail(key, record, this.watched.has(record.frame) ? 'with more packets after the edge than its analysis kept' : 'from a state an earlier merge made');
        continue;
      }
      const before = live.get(key)!;
      this.fill(packet, event);
      watch.began = undefined;
      watch.nextId = `C${event.frame}`;
      watch.nextKey = key;
      watch.sweeping = true;
      watch.at = event.ts;
      tracker.advance(event.ts);
      watch.sweeping = false;
      if (event.stub) {
        const standing = tracker.liveFor(packet);
        if (standing && !startsNewLifecycle(standing, packet)) {
          fail(key, record, 'with a SYN one run takes into the earlier lifecycle (sent again, or a port reused while that lifecycle stood open) and then a plain handshake, which its analysis did not keep');
          continue;
        }
      }
      tracker.onPacket(packet, event.file);
      const began = watch.began as Lifecycle | undefined;
      if (event.index === 0 && began) live.set(key, began);
      if (event.index === 0 && !began && !event.stub) {
        // It goes on from the range so far: what was kept of its first packets no longer tells where it began.
        this.watched.delete(Number(watch.ids.get(before)!.slice(1)));
      }
      if (event.stub) {
        // A new lifecycle took the 4-tuple: its record is the file's, with the old TIME_WAIT's end if it cut one short.
        // (The SYN did not go on in a standing lifecycle, so it began one: a stand-in, out of the tracker at once.)
        const standIn = began!;
        decided.add(key);
        const reuse = standIn.timeWaitReuseSince;
        // The file's analysis gave it one already where the lifecycle before it went on into the file: one run's takes its place.
        if (reuse >= 0) patched.set(record, withAnomalyReplaced(record.line, TIME_WAIT_REUSE_CODE, JSON.stringify(reuseAnomaly(standIn))));
        if (reuse >= 0 && record.lifecycle) record.lifecycle.timeWaitReuseSince = reuse;
        tracker.drop(standIn);
        continue;
      }
      if (event.index === 0) {
        replaced.add(record);
        if (event.entry) fileBackward += backwardWithin(event.entry);
      }
    }
    // Packets earlier than the packet before them in their connection, as one run counts them: the join's count
    // for what it replayed stands for the files' own count of the same packets.
    this.settled.tally.backward += tracker.backward - fileBackward;
    for (const records of held.values()) for (const record of records) if (!replaced.has(record)) passed.add(record);

    watch.sweeping = true;
    watch.at = nextClock;
    tracker.advance(nextClock);
    watch.sweeping = false;
    watch.closing = true;
    tracker.finish(nextEnd);

    for (const [key, records] of held) {
      const wait = this.room();
      if (wait) await wait;
      for (const record of records) {
        if (!passed.has(record)) continue;
        const line = patched.get(record) ?? record.line;
        this.keep(line, record.head, record.frame, key, record.lifecycle, this.watched.has(record.frame), nextOpen);
      }
    }
    this.encoder.flush();
  }

  /** The packet an event replays: one kept, or the SYN its record began with. */
  private fill(packet: PacketView, event: { record: Held; index: number; entry: WatchedEntry | undefined }): void {
    // As a new view: clear() leaves the frame facts, which the decoder always sets.
    packet.clear();
    packet.frameNo = packet.fileFrameNo = packet.fileFragments = packet.ts = packet.capLen = packet.origLen = packet.linkType = packet.interfaceId = 0;
    if (event.entry) {
      unpackPacket(event.entry.packets, event.index, packet);
      return;
    }
    const { record } = event;
    const head = this.heads.get(record.frame)!;
    addressPacket(packet, this.endpoint(record.head.client)!, this.endpoint(record.head.server)!);
    packet.kind = PacketKind.Tcp;
    packet.ts = head.ts;
    packet.seq = head.seq;
    packet.flags = SYN;
    packet.frameNo = firstFrame(record.line) ?? record.frame;
    packet.fileFrameNo = firstFrameInFile(record.line) ?? packet.frameNo;
  }

  /** An endpoint's text parsed, once per endpoint (a busy server's clients reuse their ports file after file). */
  private endpoint(text: string): Endpoint | undefined {
    let parsed = this.endpoints.get(text);
    if (parsed === undefined && !this.endpoints.has(text)) this.endpoints.set(text, (parsed = parseEndpoint(text)));
    return parsed;
  }

  /** Frames of the merged range before the file at index `file`. */
  private framesBefore(file: number): number {
    let n = 0;
    for (let i = 0; i < file; i++) n += this.files[i]!.frames;
    return n;
  }

  /** The file of the merged range that holds frame `frame` (counted across the files). */
  private fileOf(frame: number): string | undefined {
    let end = 0;
    for (const file of this.files) {
      end += file.frames;
      if (frame <= end) return file.name;
    }
    return undefined;
  }

  /** A record of an open lifecycle, encoded apart from the output. */
  private encodeApart(summary: ConnectionSummary, log: TransitionLogView): Buffer {
    this.apartEncoder.connection(summary, log);
    this.apartEncoder.flush();
    const bytes = this.apartBytes!;
    this.apartBytes = undefined;
    return bytes;
  }

  /** The records of the lifecycles open at the end, the findings, the merge state and the summary. */
  async finish(): Promise<SummaryRecord> {
    const read = this.read!;
    // Records of lifecycles no input touched since an earlier one: made again as of the end of the range.
    const stale = this.open.filter((o) => o.stale);
    if (stale.length > 0) {
      const clock = read.lastTcpTs ?? -Infinity;
      const remade: Open[] = this.open.filter((o) => !o.stale);
      await this.join(stale, new Map(), clock, clock, read.lastTs ?? 0, undefined, remade);
      this.open = remade;
    }
    this.encoder.flush();
    const openFrom = this.written;
    const openCounts = { tally: emptyTally(), findings: new FindingsAggregator({ stuckAfter: this.options.stuck_after }) };
    const end = read.lastTs ?? 0;
    for (const o of this.open) {
      this.out(o.record);
      // Counted from its state as the record was made: a copy aged to the end, as finish() does.
      const l = restore(capture(o.lifecycle));
      l.machine.unseen = this.gaps; // time between files the capture did not see proves no silence
      l.machine.settle(end, this.options.time_wait);
      const summary = l.summarize(end, { stuckAfter: this.options.stuck_after, gaps: this.gaps }, !l.finished);
      summary.id = o.id;
      this.count(openCounts, [summary, l.machine.log]);
    }
    const openTo = this.written;
    this.flushOut();
    const findings = new FindingsAggregator({ stuckAfter: this.options.stuck_after });
    for (const part of [this.settled, this.apart, openCounts]) findings.merge(structuredClone(part.findings.snapshot()));
    const records = findings.results();
    for (const record of records) this.sink.finding(record);
    const tally = emptyTally();
    for (const part of [this.settled, this.apart, openCounts]) addTally(tally, part.tally);
    tally.evicted = this.settled.tally.evicted;
    tally.judgedEarly = this.settled.tally.judgedEarly;
    tally.backward = this.settled.tally.backward;
    tally.late = this.settled.tally.late;
    this.sink.mergeState({
      type: 'merge_state',
      version: MERGE_STATE_VERSION,
      options: this.options,
      files: this.files,
      read,
      final: { tally: this.settled.tally, findings: aggregatesToJson(this.settled.findings.snapshot()) },
      open: { from: openFrom, to: openTo, count: this.open.length },
      parts: [writeParts(this.open.map((o) => o.lifecycle), this.heads, this.watched, WATCHED_PACKETS)],
    });
    // One run warns of unknown link types once, at the end of its reading: so does the merge, after every file's.
    const unknownLink = read.counts.unknown_link ? [`${read.counts.unknown_link} packets of unknown link types were skipped`] : [];
    const summary = buildSummary({ ...read, warnings: [...read.warnings, ...unknownLink] }, tally, records.length, `${this.options.max_live}`);
    summary.warnings.push(...this.warnings.map((w) => `merge: ${w}`));
    this.sink.summary(summary);
    return summary;
  }
}

/** Follows the lifecycles of a join: their ids in the merged run, which one a record is of, which are mere stand-ins. */
class JoinWatch implements TrackerWatch {
  readonly ids = new Map<Lifecycle, string>();
  readonly keys = new Map<Lifecycle, string>();
  began: Lifecycle | undefined;
  current: Lifecycle | undefined;
  nextId = '';
  nextKey = '';
  sweeping = false;
  /** At the end of the range: records are of lifecycles still open. */
  closing = false;
  sweepCheck: ((l: Lifecycle, at: number) => void) | undefined;
  /** Capture time the tracker is being moved to. */
  at = 0;
  /** A copy of the state of the lifecycle whose open record is being made. */
  opened: Lifecycle | undefined;

  constructor(private readonly spare: Lifecycle[]) {}

  mark(l: Lifecycle, id: string, key: string): void {
    l.watch = 0;
    this.ids.set(l, id);
    this.keys.set(l, key);
  }

  begin(l: Lifecycle): void {
    this.mark(l, this.nextId, this.nextKey);
    this.began = l;
  }

  packet(): void {}

  ended(l: Lifecycle): void {
    this.current = l;
    if (this.sweeping && l.finished) this.sweepCheck?.(l, this.at);
  }

  open(l: Lifecycle): void {
    this.current = l;
    // Its state before the tracker ages it for the record: the next join goes on from there.
    this.opened = restore(capture(l), takeSpare(this.spare));
  }
}

/** The record `lifecycle` makes when it goes out at `at` (as JSON, to compare), the lifecycle untouched. */
function recordAt(lifecycle: Lifecycle, at: number, timeWait: number, limits: LifecycleLimits): string {
  const l = restore(capture(lifecycle));
  if (limits.gaps) l.machine.unseen = limits.gaps;
  l.machine.settle(at, timeWait);
  return JSON.stringify(toConnectionRecord(l.summarize(at, limits, false), l.machine.log));
}

/** The time_wait_reuse anomaly of a lifecycle that took a 4-tuple over, as its record has it. */
const reuseAnomaly = (l: Lifecycle) => timeWaitReuse(l.timeWaitReuseSince, l.firstTs, l.firstFrame);

/** A number field of a record line, read where it is. */
function numberField(line: Buffer, key: Buffer): number | undefined {
  const at = line.indexOf(key);
  if (at < 0) return undefined;
  let end = at + key.length;
  while (end < line.length && line[end] !== 0x2c && line[end] !== 0x7d) end++;
  const n = Number(line.toString('latin1', at + key.length, end));
  return Number.isFinite(n) ? n : undefined;
}
const FIRST_FRAME = Buffer.from('"first_frame":');
const FIRST_TS = Buffer.from('"first_ts":');
const FIRST_FRAME_IN_FILE = Buffer.from('"first_frame_in_file":');
const firstFrame = (line: Buffer) => numberField(line, FIRST_FRAME);
const firstFrameInFile = (line: Buffer) => numberField(line, FIRST_FRAME_IN_FILE);
const firstTs = (line: Buffer) => numberField(line, FIRST_TS);

/** A record line as the findings and counts take it: its summary and its transitions as a log. */
function parseRecord(line: Buffer): [ConnectionSummary, TransitionLogView] {
  const record = JSON.parse(line.toString('utf8')) as ConnectionRecord;
  const transitions = record.transitions;
  const codes = transitions.map((t) => transitionCode(t.side, t.from, t.to, t.cause as Cause, t.inferred === true));
  const log: TransitionLogView = {
    length: transitions.length,
    ts: (i) => transitions[i]!.ts,
    frame: (i) => transitions[i]!.frame ?? 0,
    code: (i) => codes[i]!,
  };
  return [record, log];
}

/** A file's warnings but for those one run gives once, for the capture, from the counts (made again at the end). */
function withoutTotals(warnings: string[]): string[] {
  return warnings.filter((w) => !UNKNOWN_LINK.test(w));
}
const UNKNOWN_LINK = /^\d+ packets of unknown link types were skipped$/;


/** The reading of the range so far and of the next file, as one run reads them one after the other. */
function addReads(a: ReadTally, b: ReadTally, path: string, gapWarning: string | undefined): ReadTally {
  const counts = { ...a.counts };
  for (const [k, v] of Object.entries(b.counts)) counts[k] = (counts[k] ?? 0) + v;
  const warnings = [...a.warnings];
  if (gapWarning) warnings.push(gapWarning);
  const firstOfNext = b.inputs[0]?.firstTs;
  if (firstOfNext !== null && firstOfNext !== undefined && a.lastTs !== null && firstOfNext < a.lastTs) {
    warnings.push(`${b.files[0] ?? path} begins before the previous file ends: files are read one after another, not interleaved packet by packet`);
  }
  warnings.push(...withoutTotals(b.warnings));
  const min = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : Math.min(x, y));
  const max = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : Math.max(x, y));
  return {
    packets: a.packets + b.packets,
    tcpPackets: a.tcpPackets + b.tcpPackets,
    counts,
    firstTs: min(a.firstTs, b.firstTs),
    lastTs: max(a.lastTs, b.lastTs),
    files: [...a.files, ...b.files],
    warnings,
    errors: [...a.errors, ...b.errors],
    impossibleTimes: a.impossibleTimes + b.impossibleTimes,
    captureDrops: (a.captureDrops ?? 0) + (b.captureDrops ?? 0),
    lastTcpTs: max(a.lastTcpTs, b.lastTcpTs),
    inputs: [...a.inputs, ...b.inputs],
  };
}

/**
 * Copies of lines packed into slabs of a mebibyte: one allocation per slab,
 * not one per line (a Buffer of its own, from Node's 8 KiB pool, made a new
 * ArrayBuffer every third record, most of a merge's garbage). A line keeps
 * its whole slab alive; the records kept live until the next join, and one
 * that goes stale lets its bytes go (see Open), so slabs do not pile up.
 */
class Slabs {
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  private pos = 0;

  copy(bytes: Uint8Array): Buffer {
    return this.join([bytes]);
  }

  /** The pieces one after another, strings as UTF-8. */
  join(pieces: readonly (Uint8Array | string)[]): Buffer {
    let length = 0;
    for (const piece of pieces) length += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
    if (length > SLAB_BYTES / 8) return Buffer.concat(pieces.map((piece) => (typeof piece === 'string' ? Buffer.from(piece) : piece)));
    if (this.pos + length > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.pos = 0;
    }
    const start = this.pos;
    for (const piece of pieces) {
      if (typeof piece === 'string') this.pos += this.slab.write(piece, this.pos);
      else {
        this.slab.set(piece, this.pos);
        this.pos += piece.length;
      }
    }
    return this.slab.subarray(start, this.pos);
  }
}
const SLAB_BYTES = 1 << 20;
/** Ended lifecycles kept for the next file's: a file edge's worth on a busy capture. */
const SPARE_LIFECYCLES = 65536;
const NO_RECORD = Buffer.alloc(0);

/** Packets of a watched lifecycle's kept ones earlier than one before them, as its file's analysis counted them. */
function backwardWithin(entry: WatchedEntry): number {
  let count = 0;
  let last = -Infinity;
  for (let i = 0; i < Math.min(entry.total, WATCHED_PACKETS); i++) {
    const ts = packetTs(entry.packets, i);
    if (ts < last) count++;
    else last = ts;
  }
  return count;
}
