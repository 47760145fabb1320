// pcap-parser 0.2.1 counting packets: the reference reader's own speed.
const pcapp = require('pcap-parser');
let packets = 0;
const parser = pcapp.parse(process.argv[2]);
parser.on('packet', () => packets++);
parser.on('end', () => console.log(`${packets} packets`));
parser.on('error', (e) => { console.error(e.message); process.exit(1); });
