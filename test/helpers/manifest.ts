/** The public captures' MANIFEST.tsv: tshark's packet, TCP packet and stream counts per file. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PUBLIC_CAPTURES } from './paths.js';

export interface ManifestRow {
  file: string;
  path: string;
  format: string;
  linktypes: string;
  packets: number;
  tcpPackets: number;
  tcpStreams: number;
  notes: string;
}

export function loadManifest(): ManifestRow[] {
  const lines = readFileSync(path.join(PUBLIC_CAPTURES, 'MANIFEST.tsv'), 'utf8').trimEnd().split('\n');
  const header = lines.shift()!.split('\t');
  const col = (name: string) => header.indexOf(name);
  return lines.map((line) => {
    const f = line.split('\t');
    return {
      file: f[col('file')]!,
      path: path.join(PUBLIC_CAPTURES, f[col('file')]!),
      format: f[col('format')]!,
      linktypes: f[col('linktype(s)')]!,
      packets: Number(f[col('packets')]),
      tcpPackets: Number(f[col('tcp_packets')]),
      tcpStreams: Number(f[col('tcp_streams')]),
      notes: f[col('notes')]!,
    };
  });
}

/** Files tshark reads to their end without complaint. */
export function readsCleanly(row: ManifestRow): boolean {
  return row.packets >= 0 && !row.notes.includes('malformed');
}
