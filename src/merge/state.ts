/**
 * The `merge_state` record: what `analyze --format ndjson` writes, after the
 * findings and before the summary, so that `merge` can join the analyses of
 * consecutive files into the analysis of them all. Other readers skip it,
 * as they skip any record type they do not know.
 *
 * It holds what a later join needs and the records cannot tell: the options,
 * each file's frame count and time span, the reader's counts, the connection
 * counts and findings aggregates of the records that are final (those whose
 * lifecycle ended in the file), where in the output the records of the
 * connections still open at the end are (they are the last connection
 * records), and the packed state the collector gathered (open lifecycles,
 * SYN heads, watched lifecycles), one part per --jobs shard.
 */
import type { ConnectionTally, ReadTally } from '../analyze.js';
import type { Aggregate } from '../rules/findings.js';
import type { PackedBytes } from './bytes.js';

/** Raised whenever what the state holds or how it is written changes (2: an endpoint's yes-or-no facts became one number; 3: kept packets are untagged numbers; 5: an endpoint keeps the highest ACK number it sent; 6: and the timestamp of the segment that proved its FIN unseen). */
export const MERGE_STATE_VERSION = 6;

/** A findings aggregate as JSON: its sets as lists. */
export type AggregateJson = Omit<Aggregate, 'sources' | 'ports'> & { sources: string[]; ports: number[] };

export interface MergeStateRecord {
  type: 'merge_state';
  version: number;
  options: { stuck_after: number; time_wait: number; max_live: number };
  /** Each file of the range, in reading order: its name, frames and time span. */
  files: { name: string; frames: number; first_ts: number | null; last_ts: number | null }[];
  read: ReadTally;
  /** Counts and findings aggregates of the final records: all but those of the open lifecycles. */
  final: { tally: ConnectionTally; findings: AggregateJson[] };
  /** The records of the lifecycles open at the end: bytes [from, to) of this output, in the order of the snapshots. */
  open: { from: number; to: number; count: number };
  /** Per shard: open lifecycles' snapshots, SYN heads, watched lifecycles (see collector.ts). */
  parts: { open: PackedBytes; openCount: number; heads: PackedBytes; watched: PackedBytes }[];
}

export function aggregatesToJson(aggregates: Aggregate[]): AggregateJson[] {
  return aggregates.map((a) => ({ ...a, sources: [...a.sources], ports: [...a.ports] }));
}

export function aggregatesFromJson(aggregates: AggregateJson[]): Aggregate[] {
  return aggregates.map((a) => ({ ...a, examples: a.examples.map((e) => ({ ...e })), sources: new Set(a.sources), ports: new Set(a.ports) }));
}
