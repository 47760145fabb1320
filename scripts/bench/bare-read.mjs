// The floor for our pipeline: read every record and decode its headers, nothing else.
import { readCapture } from '../../dist/capture/source.js';
import { Decoder } from '../../dist/decode/frame-decoder.js';
import { PacketView } from '../../dist/decode/packet.js';

const decoder = new Decoder();
const packet = new PacketView();
await readCapture(process.argv[2], process.argv[2], (frame) => decoder.decode(frame, packet));
console.log(`${decoder.counts.packets} packets, ${decoder.counts.tcp} TCP`);
