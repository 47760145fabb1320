/**
 * The `report` and `states` commands: each runs the pipeline itself and keeps
 * what it shows as connections end, never every record, so memory is set by
 * the live connections as in `analyze`.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULTS, runPipelineTo, type AnalyzeOptions, type CaptureInput } from '../analyze.js';
import { toConnectionRecord } from '../flow/lifecycle.js';
import type { FindingRecord, SummaryRecord } from '../records.js';
import { isoTime } from './format.js';
import { ReportBuilder, type ReportModel } from './model.js';
import { renderHtml } from './render-html.js';
import { renderMarkdown, renderText } from './render-text.js';
import { resolveAt, StatesAt, type AtSpec } from './states-at.js';

/** Where a command writes: the CLI's standard output, or a collector for a file. */
export interface TextOut {
  write(text: string | Uint8Array): unknown;
  /** A promise while the output has more queued than it wants (standard output to a slow reader). */
  room?(): Promise<void> | undefined;
}

/** Ladder diagrams of a report: the first 12 segments of a connection and its last 12. */
const REPORT_SEGMENTS = 24;
/** Output goes out in pieces of this many characters: no single write of a whole report. */
const WRITE_CHARS = 64 * 1024;

function writeInPieces(out: TextOut, text: string): void {
  for (let i = 0; i < text.length; i += WRITE_CHARS) out.write(text.slice(i, i + WRITE_CHARS));
}

/** The report's model of a capture: what every format shows. */
export async function reportModel(inputs: CaptureInput[], options: AnalyzeOptions, connectionIds: string[] = []): Promise<ReportModel> {
  const builder = new ReportBuilder({
    stuckAfter: options.stuckAfter ?? DEFAULTS.stuckAfter,
    timeWait: options.timeWait ?? DEFAULTS.timeWait,
    connectionIds,
  });
  // The report finds its findings itself, with the aggregates under their thresholds.
  const summary = await runPipelineTo(
    inputs,
    { ...options, keepSegments: REPORT_SEGMENTS, findings: false, onTransition: builder.timeline.observe, onFirstPacket: builder.timeline.start },
    { connection: (c, log) => builder.connection(c, log), finding: () => {}, summary: () => {} },
  );
  return builder.build(summary);
}

export async function runReport(
  inputs: CaptureInput[],
  options: AnalyzeOptions,
  opts: { format: 'text' | 'md' | 'html'; connectionIds: string[]; color: boolean; out: TextOut },
): Promise<{ summary: SummaryRecord; notFound: string[] }> {
  const model = await reportModel(inputs, options, opts.connectionIds);
  writeInPieces(opts.out, opts.format === 'html' ? renderHtml(model) : opts.format === 'md' ? renderMarkdown(model) : renderText(model, opts.color));
  return { summary: model.summary, notFound: model.notFound };
}

/**
 * The netstat view at `--at`, counted as connections end: the moment is
 * known before the first record (its +seconds count from the first packet),
 * or it is the end of the capture, where each side's state is its last.
 * Whether the moment falls in the capture is known only at its end, and a
 * moment outside it is refused with nothing written: with NDJSON, the whole
 * analysis goes first into a temporary file, then out with the findings, a
 * `states` record per host, and the summary.
 */
export async function runStates(
  inputs: CaptureInput[],
  options: AnalyzeOptions,
  opts: { at: AtSpec; given: string; format: 'text' | 'ndjson'; out: TextOut },
): Promise<{ summary: SummaryRecord; at: number }> {
  const moment = (start: number) => ('end' in opts.at ? Infinity : 'offset' in opts.at ? start + opts.at.offset : opts.at.epoch);
  let view: StatesAt | undefined = 'epoch' in opts.at ? new StatesAt(opts.at.epoch) : 'end' in opts.at ? new StatesAt(Infinity) : undefined;
  const findings: FindingRecord[] = [];
  const spool = opts.format === 'ndjson' ? new Spool() : undefined;
  try {
    const summary = await runPipelineTo(
      inputs,
      { ...options, onFirstPacket: (ts) => (view ??= new StatesAt(moment(ts))) },
      {
        connection: (c, log) => {
          view!.add(c, log);
          spool?.write(JSON.stringify(toConnectionRecord(c, log)) + '\n');
        },
        finding: (f) => findings.push(f),
        summary: () => {},
      },
    );
    const at = resolveAt(opts.at, summary.first_ts, summary.last_ts, opts.given);
    view ??= new StatesAt(at);
    const hosts = [...view.hosts.entries()].sort(([a], [b]) => a.localeCompare(b));
    if (spool) {
      await spool.copyTo(opts.out);
      for (const f of findings) opts.out.write(JSON.stringify(f) + '\n');
      for (const [host, states] of hosts) opts.out.write(JSON.stringify({ type: 'states', at, host, states }) + '\n');
      opts.out.write(JSON.stringify(summary) + '\n');
    } else {
      const lines = [`endpoint states at ${isoTime(at)} (${at.toFixed(6)})`];
      if (hosts.length === 0) lines.push('  no open endpoints');
      for (const [host, states] of hosts) lines.push(host, ...Object.entries(states).map(([s, n]) => `  ${s.padEnd(12)} ${n}`));
      writeInPieces(opts.out, lines.join('\n') + '\n');
    }
    return { summary, at };
  } finally {
    spool?.remove();
  }
}

/** Text kept in a temporary file, not in memory, until it may go out. */
class Spool {
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'tcp-lifecycle-'));
  private readonly file = path.join(this.dir, 'spool');
  private readonly fd = openSync(this.file, 'w+');
  private pending = '';

  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= WRITE_CHARS) this.flush();
  }

  private flush(): void {
    const bytes = Buffer.from(this.pending, 'utf8');
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done);
    this.pending = '';
  }

  /** Copies the spooled text out, a piece at a time, waiting while the output has more queued than it wants. */
  async copyTo(out: TextOut): Promise<void> {
    this.flush();
    const piece = Buffer.alloc(1 << 20);
    for (let at = 0; ; ) {
      const n = readSync(this.fd, piece, 0, piece.length, at);
      if (n === 0) return;
      at += n;
      out.write(Buffer.from(piece.subarray(0, n)));
      await out.room?.();
    }
  }

  remove(): void {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
