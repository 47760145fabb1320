#!/usr/bin/env node
// A SYN flood as a classic pcap: N SYNs from distinct sources (10.x.y.z, ports from 1024) to
// 192.0.2.1:80, 10 µs apart, none answered: N live connections for the tracker to hold.
// usage: node scripts/bench/make-syn-flood.mjs N OUT.pcap
import { closeSync, openSync, writeSync } from 'node:fs';

export function writeSynFlood(count, file) {
  const RECORD = 16 + 14 + 20 + 20;
  const fd = openSync(file, 'w');
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // Ethernet
  writeSync(fd, header);
  const perChunk = 16384;
  const chunk = Buffer.alloc(perChunk * RECORD);
  const start = 1_800_000_000;
  for (let done = 0; done < count; ) {
    const n = Math.min(perChunk, count - done);
    for (let i = 0; i < n; i++) {
      const k = done + i;
      const o = i * RECORD;
      const usec = k * 10;
      chunk.writeUInt32LE(start + Math.floor(usec / 1e6), o);
      chunk.writeUInt32LE(usec % 1e6, o + 4);
      chunk.writeUInt32LE(54, o + 8);
      chunk.writeUInt32LE(54, o + 12);
      const e = o + 16;
      chunk.fill(0, e, e + 54);
      chunk.writeUInt16BE(0x0800, e + 12);
      const ip = e + 14;
      chunk[ip] = 0x45;
      chunk.writeUInt16BE(40, ip + 2);
      chunk[ip + 8] = 64;
      chunk[ip + 9] = 6;
      const host = Math.floor(k / 64000);
      chunk.writeUInt32BE(((10 << 24) | host) >>> 0, ip + 12); // 10.0.0.0/8 + host, 64,000 ports each
      chunk.writeUInt32BE(0xc0000201, ip + 16); // 192.0.2.1
      const tcp = ip + 20;
      chunk.writeUInt16BE(1024 + (k % 64000), tcp);
      chunk.writeUInt16BE(80, tcp + 2);
      chunk.writeUInt32BE((k * 2654435761) >>> 0, tcp + 4);
      chunk[tcp + 12] = 0x50;
      chunk[tcp + 13] = 0x02; // SYN
      chunk.writeUInt16BE(64240, tcp + 14);
    }
    writeSync(fd, chunk, 0, n * RECORD);
    done += n;
  }
  closeSync(fd);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [count, file] = [Number(process.argv[2]), process.argv[3]];
  if (!Number.isInteger(count) || count < 1 || !file) {
    console.error('usage: node scripts/bench/make-syn-flood.mjs N OUT.pcap');
    process.exit(2);
  }
  writeSynFlood(count, file);
}
