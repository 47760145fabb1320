/** tshark as an oracle: per frame its epoch time (as printed), lengths, interface and an MD5 of the bytes. */
import { execFileSync } from 'node:child_process';

export interface TsharkFrame {
  time: string;
  len: number;
  capLen: number;
  interfaceId: number;
  md5: string;
}

export function tsharkFrames(file: string): TsharkFrame[] {
  const out = execFileSync('tshark', [
    '-r', file, '-o', 'frame.generate_md5_hash:TRUE', '-T', 'fields',
    '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.interface_id', '-e', 'frame.md5_hash',
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trimEnd().split('\n').filter(Boolean).map((line) => {
    const [time, len, capLen, interfaceId, md5] = line.split('\t');
    return { time: time!, len: Number(len), capLen: Number(capLen), interfaceId: Number(interfaceId || 0), md5: md5! };
  });
}
