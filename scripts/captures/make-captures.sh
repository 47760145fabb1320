#!/usr/bin/env bash
# Makes the project's captures with real Linux kernels: two network namespaces
# joined by a veth pair, plain socket programs as client and server, tcpdump on
# the server's interface, and `ss -tanoi` of every namespace recorded as truth
# just before the capture stops. Run as root: sudo bash scripts/captures/make-captures.sh [NAME...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/../../captures" && pwd)
CLI=tl-cli SRV=tl-srv

cleanup() {
  pkill -f "$here/server.py" 2>/dev/null || true
  pkill -f "$here/client.py" 2>/dev/null || true
  ip netns del $CLI 2>/dev/null || true
  ip netns del $SRV 2>/dev/null || true
}
trap cleanup EXIT

setup() {
  cleanup
  ip netns add $CLI
  ip netns add $SRV
  ip link add tl-c type veth peer name tl-s
  ip link set tl-c netns $CLI
  ip link set tl-s netns $SRV
  ip -n $CLI addr add 10.77.0.1/24 dev tl-c
  ip -n $SRV addr add 10.77.0.2/24 dev tl-s
  ip -n $CLI addr add fd77::1/64 dev tl-c nodad
  ip -n $SRV addr add fd77::2/64 dev tl-s nodad
  for ns in $CLI $SRV; do ip -n $ns link set lo up; done
  ip -n $CLI link set tl-c up
  ip -n $SRV link set tl-s up
  # Offload off: the capture shows segments as they cross the wire.
  ip netns exec $CLI ethtool -K tl-c tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec $SRV ethtool -K tl-s tso off gso off gro off >/dev/null 2>&1 || true
}

start_capture() { # name
  ip netns exec $SRV tcpdump -i tl-s -s 128 -U --immediate-mode -w "$out/$1.pcap" >/dev/null 2>&1 &
  TCPDUMP=$!
  sleep 1
}

stop_capture() { # name
  ip netns exec $CLI ss -tanoi > "$out/$1.ss-client.txt"
  ip netns exec $SRV ss -tanoi > "$out/$1.ss-server.txt"
  sleep 0.5
  kill -INT $TCPDUMP
  wait $TCPDUMP 2>/dev/null || true
}


run() { # name server-args client-args settle-seconds [server-addr]
  local name=$1 sargs=$2 cargs=$3 settle=$4
  setup
  start_capture "$name"
  [ -n "$sargs" ] && { ip netns exec $SRV python3 "$here/server.py" $sargs & sleep 0.5; }
  ip netns exec $CLI python3 "$here/client.py" $cargs &
  sleep "$settle"
  stop_capture "$name"
  cleanup
}

# close-wait-leak: 3 clean connections, then 5 that the server never closes, held 35 s
# so that the default --stuck-after (30 s) flags them.
scenario_close_wait_leak() {
  setup
  start_capture close-wait-leak
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8081 close 3 &
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 leak 5 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8081 3 0.1 close &
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 5 0.2 halfclose &
  sleep 37
  stop_capture close-wait-leak
  cleanup
}

scenario_client_close() {
  run client-close      "10.77.0.2 8080 close 1"       "10.77.0.2 8080 1 0 close" 2
}

scenario_server_close() {
  run server-close      "10.77.0.2 8080 closefirst 1"  "10.77.0.2 8080 1 0 wait" 2
}

scenario_refused() {
  run refused           ""                             "10.77.0.2 8080 1 0 connect" 2
}

scenario_linger_abort() {
  run linger-abort      "10.77.0.2 8080 close 1"       "10.77.0.2 8080 1 0 linger0" 2
}

scenario_ipv6_client_close() {
  run ipv6-client-close "fd77::2 8080 close 1"         "fd77::2 8080 1 0 close" 2
}

scenario_time_wait_storm() {
  run time-wait-storm   "10.77.0.2 8080 close 300"     "10.77.0.2 8080 300 0 close" 6
}

# syn-blackhole: the server drops every SYN; the client retransmits at 1, 3 s.
scenario_syn_blackhole() {
  setup
  ip netns exec $SRV iptables -A INPUT -p tcp --dport 8080 --syn -j DROP
  start_capture syn-blackhole
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 1 0 connect &
  sleep 5
  stop_capture syn-blackhole
  cleanup
}

# half-open-syn-recv: the client's handshake ACKs never leave it (dropped in its OUTPUT):
# the client is ESTABLISHED, the server SYN_RECV retransmitting its SYN-ACK.
scenario_half_open_syn_recv() {
  setup
  ip netns exec $CLI iptables -A OUTPUT -p tcp --dport 8080 --tcp-flags SYN,ACK,FIN,RST ACK -j DROP
  start_capture half-open-syn-recv
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 leak 3 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 3 0.1 idle &
  sleep 4
  stop_capture half-open-syn-recv
  cleanup
}

# simultaneous-open: both hosts bind a fixed port and connect to each other at once, while
# both INPUT chains drop pure SYNs for 1.5 s; the retransmitted SYNs then cross, and a
# side that receives the other's SYN in SYN_SENT goes SYN_RECV (RFC 9293 simultaneous open).
scenario_simultaneous_open() {
  setup
  ip netns exec $CLI iptables -A INPUT -p tcp --syn -j DROP
  ip netns exec $SRV iptables -A INPUT -p tcp --syn -j DROP
  start_capture simultaneous-open
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 40001 1 0 bind:40000 &
  ip netns exec $SRV python3 "$here/client.py" 10.77.0.1 40000 1 0 bind:40001 &
  sleep 1.5
  ip netns exec $CLI iptables -F INPUT
  ip netns exec $SRV iptables -F INPUT
  sleep 4
  stop_capture simultaneous-open
  cleanup
}

# half-close-stream: the client sends its request and shuts down its side at once; the
# server streams its answer for 6 s from CLOSE_WAIT, then closes. Normal TCP: nothing is
# stuck while data flows to the half-closed side.
scenario_half_close_stream() {
  run half-close-stream "10.77.0.2 8080 stream 1" "10.77.0.2 8080 1 0 request" 8
}

# accept-queue-overflow: a listener with a backlog of 4 that never accepts; its accept
# queue holds five connections. Four connect normally. Three more get their SYN-ACK
# while their handshake ACKs are held back for a moment (the request queue then holds
# them: no SYN cookies). When the clients acknowledge the retransmitted SYN-ACKs, one
# fills the accept queue and the kernel drops the other two ACKs (tcp_abort_on_overflow
# 0): those clients are ESTABLISHED while the server keeps them in SYN_RECV and
# retransmits its SYN-ACK, which each client acknowledges again.
scenario_accept_queue_overflow() {
  setup
  start_capture accept-queue-overflow
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 noaccept &
  sleep 0.5
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 4 0 idle &
  sleep 0.5
  ip netns exec $CLI iptables -A OUTPUT -p tcp --dport 8080 --tcp-flags SYN,ACK,FIN,RST ACK -j DROP
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 3 0 idle &
  sleep 0.5
  ip netns exec $CLI iptables -F OUTPUT
  sleep 9
  stop_capture accept-queue-overflow
  cleanup
}

# fin-wait1-silent-peer: after the exchange the server's INPUT drops everything;
# the client's FIN is retransmitted, never acknowledged.
scenario_fin_wait1_silent_peer() {
  setup
  start_capture fin-wait1-silent-peer
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 leak 1 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 1 0 connect &
  sleep 1
  ip netns exec $SRV iptables -A INPUT -p tcp --dport 8080 -j DROP
  pkill -f "$here/client.py" # the kernel closes the socket: FIN
  sleep 4
  stop_capture fin-wait1-silent-peer
  cleanup
}

# last-ack-lost-ack: the client closes first, the server closes 2 s later; by then
# the server's INPUT drops the client's packets, so the final ACK never arrives.
scenario_last_ack_lost_ack() {
  setup
  start_capture last-ack-lost-ack
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 closelater 1 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 1 0 close &
  sleep 1
  ip netns exec $SRV iptables -A INPUT -p tcp --dport 8080 -j DROP
  sleep 5
  stop_capture last-ack-lost-ack
  cleanup
}

# any-sll2: tcpdump -i any (Linux cooked v2 headers) in the server namespace.
scenario_any_sll2() {
  setup
  ip netns exec $SRV tcpdump -i any -y LINUX_SLL2 -s 128 -U --immediate-mode -w "$out/any-sll2.pcap" >/dev/null 2>&1 &
  TCPDUMP=$!
  sleep 1
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 close 2 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 2 0.1 close &
  sleep 2
  stop_capture any-sll2
  cleanup
}

# pcapng-client-close: client-close written by dumpcap as pcapng.
scenario_pcapng_client_close() {
  setup
  ip netns exec $SRV dumpcap -q -i tl-s -s 128 -w "$out/pcapng-client-close.pcapng" >/dev/null 2>&1 &
  TCPDUMP=$!
  sleep 1.5
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 close 1 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 1 0 close &
  sleep 2
  stop_capture pcapng-client-close
  cleanup
}

# keepalive-idle: an idle connection with keepalive probes every second.
scenario_keepalive_idle() {
  run keepalive-idle    "10.77.0.2 8080 leak 1"        "10.77.0.2 8080 1 0 keepalive" 5
}
# zero-window: the server never reads; its window closes and the client probes.
scenario_zero_window() {
  run zero-window       "10.77.0.2 8080 noread 1"      "10.77.0.2 8080 1 0 flood" 6
}
# ipv6-close-wait: the CLOSE_WAIT leak over IPv6.
scenario_ipv6_close_wait() {
  run ipv6-close-wait   "fd77::2 8080 leak 2"          "fd77::2 8080 2 0.1 halfclose" 3
}
# kill9-client: the client process is killed mid-connection; its kernel closes with FIN.
scenario_kill9_client() {
  setup
  start_capture kill9-client
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 leak 1 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 1 0 idle &
  sleep 1
  pkill -9 -f "$here/client.py"
  sleep 2
  stop_capture kill9-client
  cleanup
}

# port-reuse: the server closes first (TIME_WAIT on its side); the client connects again
# from the same port, and the server's kernel lets the new SYN take over the TIME_WAIT.
scenario_port_reuse() {
  run port-reuse        "10.77.0.2 8080 closefirst 2"  "10.77.0.2 8080 2 0.5 bind:40000" 3
}

# port-reuse-storm: the server closes first and holds TIME_WAIT; the client has eight
# source ports, so each new SYN lands on a 4-tuple the server still holds in
# TIME_WAIT, which it takes (timestamps): a web server under short connections.
scenario_port_reuse_storm() {
  setup
  ip netns exec $CLI sysctl -qw net.ipv4.ip_local_port_range="40000 40007"
  start_capture port-reuse-storm
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 closefirst 240 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 240 0.005 wait &
  sleep 5
  stop_capture port-reuse-storm
  cleanup
}

# midstream: the capture starts after the handshake; the connection closes during it.
scenario_midstream() {
  setup
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 close 1 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 1 0 slow &
  sleep 0.5
  start_capture midstream
  sleep 3
  stop_capture midstream
  cleanup
}

# syn-flood: 60 SYNs from spoofed sources 10.77.0.100-159. Static neighbour entries on the
# server send its SYN-ACKs to the client's MAC, whose kernel drops them (not its addresses):
# the listener holds 60 SYN_RECV and retransmits SYN-ACKs, as under a real flood.
scenario_syn_flood() {
  setup
  mac=$(ip netns exec $CLI cat /sys/class/net/tl-c/address)
  for i in $(seq 100 159); do ip -n $SRV neigh add 10.77.0.$i lladdr "$mac" dev tl-s nud permanent; done
  start_capture syn-flood
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 leak 1 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/inject.py" synflood 10.77.0.2 8080 60 10.77.0
  sleep 4
  stop_capture syn-flood
  cleanup
}

# port-scan: a connect() scan of ports 8000-8099 where only 8080 listens.
scenario_port_scan() {
  setup
  start_capture port-scan
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 close 1 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/portscan.py" 10.77.0.2 8000 8099
  sleep 1
  stop_capture port-scan
  cleanup
}

# rst-out-of-window: RSTs with sequence numbers far outside the window, forged from the
# client's address into a live connection: the server ignores them, both stay ESTABLISHED.
scenario_rst_out_of_window() {
  setup
  start_capture rst-out-of-window
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 leak 1 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 1 0 idle &
  sleep 1
  cport=$(ip netns exec $CLI ss -tnH state established '( dport = :8080 )' | awk '{print $3}' | sed 's/.*://')
  for seq in 12345 2147483648 4000000000; do
    ip netns exec $CLI python3 "$here/inject.py" rst 10.77.0.1 "$cport" 10.77.0.2 8080 $seq
  done
  sleep 1
  stop_capture rst-out-of-window
  cleanup
}

# simultaneous-close: both ends close at once. Both INPUT chains drop FINs for a moment,
# so each FIN is on the wire (the capture) but reaches its peer only when retransmitted,
# after the peer has sent its own: both FINs cross, as on a long path.
scenario_simultaneous_close() {
  setup
  start_capture simultaneous-close
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 simclose 1 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 1 0 simclose &
  sleep 1
  for ns in $CLI $SRV; do ip netns exec $ns iptables -A INPUT -p tcp --tcp-flags FIN FIN -j DROP; done
  pkill -USR1 -f "$here/server.py"
  pkill -USR1 -f "$here/client.py"
  sleep 0.3
  for ns in $CLI $SRV; do ip netns exec $ns iptables -D INPUT -p tcp --tcp-flags FIN FIN -j DROP; done
  sleep 3
  stop_capture simultaneous-close
  cleanup
}

# overlapping-retransmission: a segment forged from the client's address re-sends the last
# 50 bytes of the client's first data with other bytes and 30 bytes beyond it, before the
# client sends those itself; the receiver keeps its first copy and acknowledges the rest.
scenario_overlapping_retransmission() {
  setup
  start_capture overlapping-retransmission
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 close 1 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/inject.py" overlap tl-c 10.77.0.1 10.77.0.2 8080 50 80 &
  sleep 0.3
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 1 0 overlap &
  sleep 5
  stop_capture overlapping-retransmission
  cleanup
}

# fin-before-handshake: a FIN and a FIN-ACK forged from 10.77.0.1:40001 before any SYN on
# that 4-tuple (the listener answers the FIN-ACK with RST, drops the bare FIN), then a real
# connection from the same port that the client closes first.
scenario_fin_before_handshake() {
  setup
  start_capture fin-before-handshake
  ip netns exec $SRV python3 "$here/server.py" 10.77.0.2 8080 close 1 &
  sleep 0.5
  ip netns exec $CLI python3 "$here/inject.py" fin 10.77.0.1 40001 10.77.0.2 8080 1000000 0
  ip netns exec $CLI python3 "$here/inject.py" fin 10.77.0.1 40001 10.77.0.2 8080 1000000 2000000
  sleep 0.5
  ip netns exec $CLI python3 "$here/client.py" 10.77.0.2 8080 1 0 bindclose:40001 &
  sleep 2
  stop_capture fin-before-handshake
  cleanup
}

# server-time-wait: 150 short connections that the server closes first (as HTTP/1.0, or nginx
# with keepalive_timeout 0): the TIME_WAIT stays on the server.
scenario_server_time_wait() {
  run server-time-wait  "10.77.0.2 8080 closefirst 150" "10.77.0.2 8080 150 0 wait" 5
}

ALL="close-wait-leak client-close server-close refused linger-abort ipv6-client-close time-wait-storm syn-blackhole half-open-syn-recv fin-wait1-silent-peer last-ack-lost-ack any-sll2 pcapng-client-close keepalive-idle zero-window ipv6-close-wait kill9-client port-reuse midstream syn-flood port-scan rst-out-of-window simultaneous-close overlapping-retransmission fin-before-handshake server-time-wait accept-queue-overflow half-close-stream simultaneous-open port-reuse-storm"

# No names: every scenario. Names: only those, every other file left as it is.
for name in ${*:-$ALL}; do
  case " $ALL " in *" $name "*) ;; *) echo "unknown scenario: $name (known: $ALL)" >&2; exit 2 ;; esac
  echo "== $name"
  "scenario_${name//-/_}"
done
echo "captures written to $out"
