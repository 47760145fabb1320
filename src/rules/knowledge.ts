/** What to do about each finding, from TCP-STATES.md; Linux defaults are those of current 5.x/6.x kernels. */
import type { FindingCode } from '../records.js';

export const ADVICE: Record<FindingCode, string[]> = {
  close_wait_leak: [
    'The application received the peer\'s FIN and never called close(): find the code path that leaks the socket (error paths, connection pools); `ss -tanp state close-wait` names the owning process.',
    'No kernel timer ends CLOSE_WAIT: the sockets stay until the process closes them or exits.',
    'Add application-level idle timeouts on connections the peer may close.',
  ],
  fin_wait2_pileup: [
    'Our FIN was acknowledged; the peer application never closes its end (its side sits in CLOSE_WAIT): fix the peer\'s missing close().',
    'An orphaned FIN_WAIT2 (our application already closed) ends after net.ipv4.tcp_fin_timeout (default 60 s); a half-closed socket (shutdown) waits as long as the application keeps it.',
  ],
  fin_wait1_pileup: [
    'Our FIN goes unacknowledged: check that the peer host is alive and the path does not drop packets; a peer advertising a zero window also holds FINs back.',
    'Orphaned sockets give up after net.ipv4.tcp_orphan_retries (shows 0, which the kernel treats as 8: about 100 s with a 200 ms RTO).',
  ],
  last_ack_pileup: [
    'Our closing FIN (after the peer\'s) goes unacknowledged: the peer vanished after its own FIN (killed host, lost path).',
    'Usually clears by retransmission timeout; check the path and the peer.',
  ],
  time_wait_storm: [
    'Reuse connections (HTTP keep-alive, connection pools) instead of one connection per request.',
    'Let the other side close first where the protocol allows: TIME_WAIT stays with the side that closes first.',
    'net.ipv4.tcp_tw_reuse (0 off, 1 on, 2 loopback only, the default) lets outgoing connections reuse a TIME_WAIT port safely with TCP timestamps.',
    'Widen net.ipv4.ip_local_port_range (default 32768-60999, 28,232 ports). TIME_WAIT lasts 60 s on Linux, compiled in: tcp_fin_timeout does not change it. Never use tcp_tw_recycle: it was removed in Linux 4.12 and broke clients behind NAT.',
  ],
  server_closes_first: [
    'A server that closes first keeps the TIME_WAIT: it costs the server no ephemeral port, only a small socket each, so this is normal by itself.',
    'Past net.ipv4.tcp_max_tw_buckets (half the established-hash size on current kernels) the kernel skips TIME_WAIT and logs "time wait bucket table overflow": watch for it on busy servers.',
    'Keep connections open for more than one request (HTTP/1.1 keep-alive, for nginx a keepalive_timeout above 0) or let clients close first, and the TIME_WAIT leaves the server.',
    'Never use tcp_tw_recycle: it was removed in Linux 4.12 and broke clients behind NAT.',
  ],
  syn_flood: [
    'Keep net.ipv4.tcp_syncookies at 1 (the default: cookies once the SYN queue overflows).',
    'Raise net.ipv4.tcp_max_syn_backlog; lower net.ipv4.tcp_synack_retries (default 5, about 63 s) to free half-open entries sooner.',
    'Filter abusive sources upstream; if the clients are real, their handshake ACKs are being lost: check the path.',
  ],
  accept_queue_overflow: [
    'The listener\'s accept queue is full: the application does not call accept() fast enough (a blocked event loop, too few workers, a stalled process). `ss -ltn` shows it: Recv-Q, the connections waiting, at or above Send-Q, the backlog.',
    'Its clients believe they are connected: their first request goes unanswered until the server takes a later ACK, or they time out. `nstat -az TcpExtListenOverflows TcpExtListenDrops` counts the drops.',
    'Raise the backlog (the application\'s listen() argument, capped by net.core.somaxconn, 4096 since Linux 5.4), and find why accept() lags.',
    'net.ipv4.tcp_abort_on_overflow = 1 resets such handshakes instead, so clients fail fast: only where clients retry.',
  ],
  service_unreachable: [
    'SYNs refused (RST): nothing listens on that address and port; check the service is up and bound where clients connect.',
    'SYNs unanswered: the host or path is down, a firewall drops SYNs, or the listener\'s accept queue is full (current kernels then drop SYNs: `ss -ltn` shows Recv-Q above Send-Q); check reachability and firewall rules.',
    'Clients wait about 127 s before connect() fails (net.ipv4.tcp_syn_retries 6); lower it for faster failure.',
  ],
  reset_storm: [
    'Find who sends the RSTs and why: an application closing with unread data, SO_LINGER 0, a load balancer or firewall timing out idle connections, or a crashed process.',
    'Compare the idle timeouts of clients, proxies and servers: the shortest one resets the others\' connections.',
  ],
  retransmission_storm: [
    'Retransmissions mean loss on the path or a peer too slow to answer: check interface errors and drops (`ip -s link`, `nstat`), and the peer\'s load.',
    'Established data is retransmitted for up to net.ipv4.tcp_retries2 (15, about 924 s at minimum RTO) before the connection is dropped.',
  ],
  zero_window_stall: [
    'The receiver advertised a zero window: its application reads too slowly. Profile the reader, not the network.',
    'Check the receiving process for blocking work on the read path and its socket buffer (net.ipv4.tcp_rmem).',
  ],
};
