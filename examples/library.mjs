// Lists each connection of a capture with both endpoints' states at its end.
// Run: node examples/library.mjs [capture]   (after `npm ci`, which builds dist/)
import { analyze } from 'tcp-lifecycle';

const capture = process.argv[2] ?? 'captures/client-close.pcap';
for await (const record of analyze(capture, { stuckAfter: 10 })) {
  if (record.type === 'connection') {
    console.log(`${record.id} ${record.client} ${record.client_state} <-> ${record.server} ${record.server_state}`);
  } else if (record.type === 'summary') {
    console.log(`${record.connections} connections, ${record.findings} findings`);
  }
}
