/**
 * Memory is set by live connections, not by how many the capture holds:
 * twice as many short connections (the nginx pattern: the server closes
 * first, the client soon reuses its port while the server's TIME_WAIT runs)
 * leave the retained heap where it was, and the live table stays at the
 * number of ports in use.
 */
import test from 'ava';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ACK, FIN, PacketKind, PacketView, SYN } from '../../src/decode/packet.js';
import { FlowTracker } from '../../src/flow/tracker.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const CLIENT = 0x0a000001;
const SERVER = 0x0a000002;
const PORTS = 500;

/** Feeds `count` connections, 2,000 per second of capture time, from PORTS client ports in turn. */
function feed(tracker: FlowTracker, count: number, onPacket: () => void): void {
  const p = new PacketView();
  let frame = 0;
  const send = (fromClient: boolean, port: number, flags: number, seq: number, ack: number, ts: number, len = 0) => {
    p.clear();
    p.kind = PacketKind.Tcp;
    p.ipVersion = 4;
    p.frameNo = ++frame;
    p.ts = ts;
    p.src[0] = fromClient ? CLIENT : SERVER;
    p.dst[0] = fromClient ? SERVER : CLIENT;
    p.srcPort = fromClient ? port : 80;
    p.dstPort = fromClient ? 80 : port;
    p.flags = flags;
    p.seq = seq >>> 0;
    p.ack = ack >>> 0;
    p.payloadLen = len;
    p.window = 65535;
    tracker.onPacket(p);
    onPacket();
  };
  for (let i = 0; i < count; i++) {
    const port = 40000 + (i % PORTS);
    const t = 1_700_000_000 + i / 2000;
    const c = 1000 + i * 100_000; // a new ISN for every lifecycle of the port
    const s = 7000 + i * 3;
    send(true, port, SYN, c, 0, t);
    send(false, port, SYN | ACK, s, c + 1, t + 1e-5);
    send(true, port, ACK, c + 1, s + 1, t + 2e-5);
    send(true, port, ACK, c + 1, s + 1, t + 3e-5, 40);
    send(false, port, ACK, s + 1, c + 41, t + 4e-5, 100);
    send(false, port, FIN | ACK, s + 101, c + 41, t + 5e-5); // the server closes first: TIME_WAIT on its side
    send(true, port, FIN | ACK, c + 41, s + 102, t + 6e-5);
    send(false, port, ACK, s + 102, c + 42, t + 7e-5);
  }
}

function retainedAfter(count: number): { heap: number; peakLive: number; emitted: number } {
  let peakLive = 0;
  let emitted = 0;
  const tracker = new FlowTracker({ stuckAfter: 10, timeWait: 60, maxLive: 1_000_000, keepSegments: 0 }, () => emitted++);
  feed(tracker, count, () => {
    if (tracker.live > peakLive) peakLive = tracker.live;
  });
  gc();
  gc();
  const heap = process.memoryUsage().heapUsed;
  tracker.finish();
  return { heap, peakLive, emitted: tracker.emitted };
}

test('twice the connections, the same retained heap: records leave as ports are reused', (t) => {
  retainedAfter(2000); // warm up: compiled code and interned strings are not growth
  const small = retainedAfter(20_000);
  const large = retainedAfter(40_000);
  const growth = (large.heap - small.heap) / 2 ** 20;
  t.log(`retained heap ${(small.heap / 2 ** 20).toFixed(1)} MiB at 20,000 connections, ${(large.heap / 2 ** 20).toFixed(1)} MiB at 40,000; peak live ${large.peakLive}`);
  t.true(growth < 3, `retained heap grew by ${growth.toFixed(1)} MiB`);
  t.true(large.peakLive <= PORTS + 1, `peak live ${large.peakLive} with ${PORTS} ports in use`);
  t.is(large.emitted, 40_000);
});
