/**
 * `extract`: the packets of chosen lifecycles, as a capture to attach to an
 * incident ticket. The records are copied as they are in the input (the
 * same link type, the original timestamps at their original precision,
 * pcap or pcapng as the input is): file headers and pcapng blocks that carry
 * no packet (section headers, interface descriptions) all, packet records
 * only when the pipeline gave their packet to a wanted lifecycle. Second
 * copies of `tcpdump -i any`, fragments and every other frame stay out.
 *
 * Lifecycles are named by id (`C` and their first frame), known before the
 * first packet, so one pass suffices, also on standard input; or by a
 * finding code, whose connections are known only at the end of a first
 * pass: then the files are read twice.
 */
import { WholeFile } from '../whole-file.js';
import { runPipelineTo, DEFAULTS, type AnalyzeOptions, type CaptureInput } from '../analyze.js';
import { hostOf } from '../flow/address.js';
import type { FindingCode, SummaryRecord } from '../records.js';
import { FindingsAggregator } from '../rules/findings.js';

/** What to extract is not there, or the inputs cannot make one capture: nothing written (exit 2). */
export class ExtractError extends Error {
  override name = 'ExtractError';
}

const PCAPNG_SHB = 0x0a0d0d0a;
/** A pcap file header's magic read little-endian: microseconds or nanoseconds, either byte order. */
const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1]);
/** Output is written in pieces of this size, every write checked. */
const BUFFER_BYTES = 1 << 20;

/** A capture file written whole (see WholeFile). */
class CaptureWriter {
  private readonly out: WholeFile;
  private buffer = new Uint8Array(BUFFER_BYTES);
  private used = 0;
  /** The first pcap file header written: a later input's must match it (one pcap file has one header). */
  private pcapHeader: Uint8Array | undefined;
  private format: 'pcap' | 'pcapng' | undefined;
  records = 0;

  constructor(file: string) {
    this.out = new WholeFile(file);
  }

  /** A record that carries no packet: a pcap file header, or a pcapng block. */
  header(bytes: Uint8Array): void {
    const first = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) : 0;
    const pcap = PCAP_MAGICS.has(first);
    if (pcap || first === PCAPNG_SHB) {
      const format = pcap ? 'pcap' : 'pcapng';
      if (this.format !== undefined && format !== this.format) throw new ExtractError('the inputs mix pcap and pcapng: extract from them one format at a time');
      this.format = format;
    }
    if (!pcap) return this.write(bytes);
    if (!this.pcapHeader) {
      this.pcapHeader = bytes.slice();
      return this.write(bytes);
    }
    // Another pcap input: the same magic (byte order, precision), version and link type, or no one file can hold both.
    const same = (at: number, n: number) => bytes.subarray(at, at + n).every((b, i) => b === this.pcapHeader![at + i]);
    if (!same(0, 8) || !same(20, 4)) throw new ExtractError('the pcap inputs differ in byte order, timestamp precision or link type: extract from them one at a time');
  }

  packet(bytes: Uint8Array): void {
    this.records++;
    this.write(bytes);
  }

  private write(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buffer.length) this.flush();
    if (bytes.length > this.buffer.length) this.buffer = new Uint8Array(bytes.length);
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  private flush(): void {
    this.out.write(this.buffer, 0, this.used);
    this.used = 0;
  }

  /** Completes the file: FILE now holds it whole. */
  finish(): void {
    this.flush();
    this.out.commit();
  }

  /** Leaves FILE as it was. */
  abandon(): void {
    this.out.abandon();
  }
}

/** The lifecycles to extract: by id (`C1234`, its first frame), or all the connections of the findings of a code. */
export type Wanted = { connections: string[] } | { finding: FindingCode };

export interface ExtractResult {
  summary: SummaryRecord;
  /** Lifecycles written, and their packets. */
  connections: number;
  packets: number;
}

/** The first frames of the connections behind every finding of `code` (all of them, not only the examples). */
async function findingConnections(inputs: CaptureInput[], options: AnalyzeOptions, code: FindingCode): Promise<Set<number>> {
  const byEndpoint = new Map<string, number[]>();
  const aggregator = new FindingsAggregator({
    stuckAfter: options.stuckAfter ?? DEFAULTS.stuckAfter,
    onMatch: (matched, endpoint, c) => {
      if (matched !== code) return;
      const ids = byEndpoint.get(endpoint);
      if (ids) ids.push(c.first_frame);
      else byEndpoint.set(endpoint, [c.first_frame]);
    },
  });
  await runPipelineTo(inputs, { ...options, findings: false }, { connection: (c, log) => aggregator.add(c, log), finding: () => {}, summary: () => {} });
  const ids = new Set<number>();
  for (const f of aggregator.results()) {
    if (f.code !== code) continue;
    // A host-wide service_unreachable gathers the ports of the host.
    for (const [endpoint, list] of byEndpoint) if (endpoint === f.endpoint || hostOf(endpoint) === f.endpoint) for (const id of list) ids.add(id);
  }
  if (ids.size === 0) throw new ExtractError(`no ${code} finding in the capture`);
  return ids;
}

export async function extract(inputs: CaptureInput[], options: AnalyzeOptions, wanted: Wanted, outFile: string): Promise<ExtractResult> {
  let ids: Set<number>;
  if ('finding' in wanted) {
    ids = await findingConnections(inputs, options, wanted.finding);
  } else {
    ids = new Set(wanted.connections.map((id) => Number(id.slice(1))));
  }
  const found = new Set<number>();
  const writer = new CaptureWriter(outFile);
  let keep = false;
  try {
    const summary = await runPipelineTo(
      inputs,
      {
        ...options,
        findings: false,
        onTcpPacket: (_frame, id) => {
          keep = ids.has(id);
          if (keep) found.add(id);
        },
        onRecord: (bytes, packet) => {
          if (!packet) writer.header(bytes);
          else if (keep) writer.packet(bytes);
          keep = false;
        },
      },
      { connection: () => {}, finding: () => {}, summary: () => {} },
    );
    const missing = [...ids].filter((id) => !found.has(id));
    if (missing.length > 0) throw new ExtractError(`no connection ${missing.map((id) => `C${id}`).join(', ')} in the capture (an id is C and the frame number of the connection's first packet)`);
    writer.finish();
    return { summary, connections: found.size, packets: writer.records };
  } catch (error) {
    writer.abandon();
    throw error;
  }
}
