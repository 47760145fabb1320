/**
 * A Wireshark display filter that selects exactly one lifecycle's packets in
 * the file it came from. The 4-tuple is written per direction (the usual
 * `ip.addr`/`tcp.port` filter also matches the tuple with the ports swapped),
 * and bounded by the lifecycle's first and last frame in the file: a record
 * leaves before the capture shows whether its 4-tuple comes back (port
 * reuse), so every filter carries the bounds. Beyond the tuple, Wireshark
 * shows frames this tool does not count as the lifecycle's packets, and the
 * filter leaves them out:
 * - ICMP errors quoting one of its segments (Wireshark dissects the quoted
 *   IP and TCP headers): `!icmp`;
 * - IP fragments, which Wireshark reassembles into a TCP segment and this
 *   tool counts apart (`summary.counts.ip_fragments`), where the file held
 *   some before the lifecycle's last packet, so other filters stay short;
 * - the second copies of `tcpdump -i any` counted once
 *   (`summary.counts.duplicate_copies`): listed by frame number, up to
 *   MAX_LISTED_DUPLICATES per lifecycle; beyond that the filter also selects
 *   the rest of them.
 */

/** Second copies listed by frame number in one filter; more would make it unwieldy. */
export const MAX_LISTED_DUPLICATES = 64;

/** "10.0.0.1:80" or "[2001:db8::1]:80" into address and port. */
function split(endpoint: string): [string, string] {
  const colon = endpoint.lastIndexOf(':');
  const host = endpoint.startsWith('[') ? endpoint.slice(1, colon - 1) : endpoint.slice(0, colon);
  return [host, endpoint.slice(colon + 1)];
}

export function wiresharkFilter(
  client: string,
  server: string,
  ipv6: boolean,
  firstFrame: number,
  lastFrame: number | undefined,
  fileHasFragments: boolean,
  duplicateFrames: readonly number[],
): string {
  const [ca, cp] = split(client);
  const [sa, sp] = split(server);
  const ip = ipv6 ? 'ipv6' : 'ip';
  let filter =
    `(${ip}.src==${ca} && tcp.srcport==${cp} && ${ip}.dst==${sa} && tcp.dstport==${sp}` +
    ` || ${ip}.src==${sa} && tcp.srcport==${sp} && ${ip}.dst==${ca} && tcp.dstport==${cp})` +
    ` && frame.number>=${firstFrame}`;
  if (lastFrame !== undefined) filter += ` && frame.number<=${lastFrame}`;
  filter += ipv6 ? ' && !icmpv6' : ' && !icmp';
  if (fileHasFragments) filter += ipv6 ? ' && !(ipv6.fraghdr.offset>0 || ipv6.fraghdr.more==1)' : ' && ip.frag_offset==0 && ip.flags.mf==0';
  // `frame.number!=N` rather than a set: Wireshark 4 sets need commas, which tshark's io,stat takes for separators.
  for (const frame of duplicateFrames) filter += ` && frame.number!=${frame}`;
  return filter;
}
