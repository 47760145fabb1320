#!/usr/bin/env bash
# Makes the production-like captures with real Linux kernels: a router in the middle, a lossy,
# delaying and reordering path (relay.py between two tap devices) seen tagged on a trunk, a
# bridge with several clients, frames deleted from a finished capture, kernel timers that end
# states without a packet, TIME_WAIT hit by a RST, SYN cookies, accept-queue overflow and
# TCP Fast Open; each in IPv4 and, named ipv6-*, in IPv6. Every host is a network namespace
# (tm-*, apart from make-captures.sh's tl-*); `ss -tanoi` of every one is recorded as truth just
# before the capture stops, as NAME.ss-ROLE.txt. Timers are shortened by per-namespace sysctls
# (listed in captures/README.md), so that each capture lasts a few seconds.
# Run as root: sudo bash scripts/captures/make-production-captures.sh [NAME...]
# Needs tcpdump, tshark (editcap), iproute2, iptables, ethtool and python3.
set -euo pipefail
for tool in tcpdump tshark editcap ip iptables ip6tables ethtool python3; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/../../captures" && pwd)
work=$(mktemp -d)
declare -A NS=() # role -> namespace of the scenario being made
PIDS=()          # its background processes, stopped by id
TCPDUMP=

cleanup() {
  local pid ns
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
  for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  NS=()
}
trap 'cleanup; rm -rf "$work"' EXIT

host() { # role...: a namespace for each, loopback up
  local role
  for role; do
    NS[$role]=tm-$role
    ip netns del "tm-$role" 2>/dev/null || true
    ip netns add "tm-$role"
    ip -n "tm-$role" link set lo up
  done
}
in_ns() { local role=$1; shift; ip netns exec "${NS[$role]}" "$@"; }
bg() { local role=$1; shift; ip netns exec "${NS[$role]}" "$@" & PIDS+=($!); }
tune() { local role=$1; shift; in_ns "$role" sysctl -qw "$@"; }

cable() { # roleA ifA roleB ifB: a veth pair, up, offloads off (the capture shows wire segments)
  ip link add "$2" netns "${NS[$1]}" type veth peer name "$4" netns "${NS[$3]}"
  for end in "$1 $2" "$3 $4"; do
    set -- $end
    ip -n "${NS[$1]}" link set "$2" up
    in_ns "$1" ethtool -K "$2" tso off gso off gro off >/dev/null
  done
}
addr() { # role iface v4/len v6/len
  ip -n "${NS[$1]}" addr add "$3" dev "$2"
  ip -n "${NS[$1]}" addr add "$4" dev "$2" nodad
}

# The two-host setup most scenarios use: client and server on one cable, C and S their
# addresses in the family asked for, IPT the matching iptables, NAME the capture's name.
pair() { # family base-name
  family "$1" "$2"
  host client server
  cable client c0 server s0
  addr client c0 10.78.0.1/24 fd78::1/64
  addr server s0 10.78.0.2/24 fd78::2/64
  if [ "$1" = 4 ]; then C=10.78.0.1 S=10.78.0.2; else C=fd78::1 S=fd78::2; fi
}
family() { # 4|6 base-name
  if [ "$1" = 4 ]; then IPT=iptables NAME=$2; else IPT=ip6tables NAME=ipv6-$2; fi
}

# Scenarios wait for events, not for fixed times, so that a busy machine makes the same capture.
until_true() { # what-for command...: until the command succeeds (20 s at most)
  local what=$1 i; shift
  for i in $(seq 400); do "$@" && return; sleep 0.05; done
  echo "gave up waiting for $what" >&2; exit 1
}
said() { grep -q "$1" "$2"; }
sockets() { # role count ss-filter...: ss in role lists exactly COUNT sockets that match
  [ "$(in_ns "$1" ss -tanH "${@:3}" | wc -l)" -eq "$2" ]
}
exited() { ! kill -0 "$1" 2>/dev/null; }
start_capture() { # role iface [tcpdump options]: returns once tcpdump listens
  local role=$1 iface=$2; shift 2
  bg "$role" tcpdump -i "$iface" -s 128 -U --immediate-mode "$@" -w "$out/$NAME.pcap" 2>"$work/tcpdump.err"
  TCPDUMP=${PIDS[-1]}
  until_true "tcpdump to listen" said listening "$work/tcpdump.err"
}
stop_capture() { # ss of every namespace, then tcpdump stops (it writes every frame at once)
  local role
  for role in "${!NS[@]}"; do in_ns "$role" ss -tanoi > "$out/$NAME.ss-$role.txt"; done
  sleep 0.05
  kill -INT "$TCPDUMP"
  wait "$TCPDUMP" 2>/dev/null || true
  echo "   $(tcpdump -r "$out/$NAME.pcap" 2>/dev/null | wc -l) frames in $NAME.pcap"
}

# A timer ends a state without a packet; a capture shows that only by running on past the time
# the next packet was due. So those scenarios end with a clean connection to :8099, made a
# while after the timer fired, as other traffic would on a real link.
tail_listener() { serve server $S 8099 close 1; }
tail_connection() { in_ns client python3 "$here/client.py" $S 8099 1 0 close; }
serve() { # role server.py-arguments: starts a listener, returns once it listens
  bg "$1" python3 "$here/server.py" "${@:2}" >/dev/null
  until_true "a listener on :$3" sockets "$1" 1 state listening "( sport = :$3 )"
}
run_clients() { # role client.py-arguments: runs a client to its end (20 s at most)
  bg "$1" python3 "$here/client.py" "${@:2}"
  until_true "the client on ${*:2} to finish" exited "${PIDS[-1]}"
}

# Client and server on two subnets joined by a forwarding router: C and S their addresses.
routed() { # family base-name
  family "$1" "$2"
  host client router server
  cable client c0 router r0
  cable router r1 server s0
  addr client c0 10.78.1.1/24 fd78:1::1/64
  addr router r0 10.78.1.254/24 fd78:1::fe/64
  addr router r1 10.78.2.254/24 fd78:2::fe/64
  addr server s0 10.78.2.1/24 fd78:2::1/64
  in_ns client ip route add default via 10.78.1.254
  in_ns client ip -6 route add default via fd78:1::fe
  in_ns server ip route add default via 10.78.2.254
  in_ns server ip -6 route add default via fd78:2::fe
  tune router net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  if [ "$1" = 4 ]; then C=10.78.1.1 S=10.78.2.1; else C=fd78:1::1 S=fd78:2::1; fi
}

# Loss on both sides of the capture point: the router forwards with 8 % loss each way and is
# captured on its client-side port (client frames before that loss, server frames after it);
# the client's link loses 4 % each way and the server's 4 % inbound.
router_lossy() {
  routed "$1" router-lossy
  local drop="-p tcp -m statistic --mode random --probability"
  in_ns router $IPT -A FORWARD $drop 0.08 -j DROP
  in_ns client $IPT -A OUTPUT $drop 0.04 -j DROP
  in_ns client $IPT -A INPUT $drop 0.04 -j DROP
  in_ns server $IPT -A INPUT $drop 0.04 -j DROP
  start_capture router r0
  serve server $S 8080 close 3
  run_clients client $S 8080 3 0.2 bulk:10000
  sleep 1.5 # a lost final ACK: the server's FIN comes again
  stop_capture
}

# A path with 10 ms of delay that loses 5 % of TCP frames and holds back 5 % by 15 ms more,
# so that later frames overtake them (relay.py), captured where it meets the client on a
# trunk port: 802.1Q VLAN 100 in IPv4, QinQ (802.1ad 200, 802.1Q 100) in IPv6. The client's
# frames are on the capture before any loss, the server's after it.
relay_vlan() {
  family "$1" relay-vlan
  host client server relay monitor
  local vlan=100 seed=13
  [ "$1" = 6 ] && vlan=200,100 seed=17
  bg relay python3 "$here/relay.py" tm-tc tm-ts --monitor tm-tm --near tm-tc --vlan $vlan \
    --loss 0.05 --delay 10 --reorder 0.05 --hold 15 --seed $seed > "$work/relay.log"
  local relay=${PIDS[-1]}
  until_true "the relay" said ready "$work/relay.log"
  ip -n tm-relay link set tm-tc netns tm-client
  ip -n tm-relay link set tm-ts netns tm-server
  ip -n tm-relay link set tm-tm netns tm-monitor
  addr client tm-tc 10.78.0.1/24 fd78::1/64
  addr server tm-ts 10.78.0.2/24 fd78::2/64
  ip -n tm-client link set tm-tc up
  ip -n tm-server link set tm-ts up
  tune monitor net.ipv6.conf.tm-tm.disable_ipv6=1 # the trunk port sends nothing itself
  ip -n tm-monitor link set tm-tm mtu 1508 up
  if [ "$1" = 4 ]; then S=10.78.0.2; else S=fd78::2; fi
  start_capture monitor tm-tm -Q in
  serve server $S 8080 close 3
  run_clients client $S 8080 3 0.2 bulk:10000
  sleep 1.5
  stop_capture
  kill "$relay"
  wait "$relay" 2>/dev/null || true
  echo "   $(tail -1 "$work/relay.log")"
}

# Three client hosts and a server on a bridge, captured on the bridge device (promiscuous:
# every frame the bridge forwards). client2 and client3 connect from the same port 40000;
# client3 also waits for the server to close first on :8081.
bridge_clients() {
  family "$1" bridge-clients
  host bridge server client1 client2 client3
  ip -n tm-bridge link add br0 type bridge
  tune bridge net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
  ip -n tm-bridge link set br0 up
  local n
  for n in 1 2 3; do
    cable client$n c0 bridge p$n
    ip -n tm-bridge link set p$n master br0
    addr client$n c0 10.78.3.$n/24 fd78:3::$n/64
  done
  cable server s0 bridge ps
  ip -n tm-bridge link set ps master br0
  addr server s0 10.78.3.10/24 fd78:3::10/64
  if [ "$1" = 4 ]; then S=10.78.3.10; else S=fd78:3::10; fi
  start_capture bridge br0
  serve server $S 8080 close 4
  serve server $S 8081 closefirst 1
  run_clients client1 $S 8080 2 0.1 close
  bg client2 python3 "$here/client.py" $S 8080 1 0 bindclose:40000
  local client2=${PIDS[-1]}
  run_clients client3 $S 8080 1 0 bindclose:40000
  run_clients client3 $S 8081 1 0 wait
  until_true "client2" exited $client2
  stop_capture
}

# The client closes first and the server 2 s later; once the client is in FIN_WAIT2 the
# server's INPUT drops the first pure ACK to arrive (iptables statistic nth), the client's
# final ACK. The capture is on the client's side, so it shows that ACK; the server sends its
# FIN again, and the client's second ACK closes it.
final_ack_lost_once() {
  pair "$1" final-ack-lost-once
  start_capture client c0
  serve server $S 8080 closelater 1
  bg client python3 "$here/client.py" $S 8080 1 0 close
  until_true "FIN_WAIT2" sockets client 1 state fin-wait-2
  in_ns server $IPT -A INPUT -p tcp --dport 8080 --tcp-flags SYN,ACK,FIN,RST,PSH ACK \
    -m statistic --mode nth --every 1000 --packet 0 -j DROP
  until_true "LAST_ACK to end" sockets server 0 exclude listening '( sport = :8080 )'
  sleep 0.5
  stop_capture
}

# The server speaks first (it sends a line once it has accepted, then closes); the client's
# handshake ACK is dropped once by the server's INPUT (statistic nth), after the capture point
# on the client's side: the server sends its SYN-ACK again a second later, the client
# acknowledges it again, and the connection goes on. A lost handshake ACK that recovered.
handshake_ack_lost_once() {
  pair "$1" handshake-ack-lost-once
  in_ns server $IPT -A INPUT -p tcp --dport 8080 --tcp-flags SYN,ACK,FIN,RST,PSH ACK \
    -m statistic --mode nth --every 1000 --packet 0 -j DROP
  start_capture client c0
  serve server $S 8080 closefirst 1
  run_clients client $S 8080 1 0 wait
  sleep 0.3
  stop_capture
}

# The client's INPUT drops every SYN-ACK: the server's SYN-ACKs pass the capture point (the
# server's veth) and never arrive, so the client sends its SYN again and stays SYN_SENT while
# the server, in SYN_RECV, sends its SYN-ACK again.
synack_lost() {
  pair "$1" synack-lost
  in_ns client $IPT -A INPUT -p tcp --sport 8080 --tcp-flags SYN,ACK SYN,ACK -j DROP
  start_capture server s0
  serve server $S 8080 leak 1
  bg client python3 "$here/client.py" $S 8080 1 0 connect
  until_true "the SYN sent again" sockets server 1 state syn-recv
  sleep 3.5 # the client's SYN after 1 s and 3 s, the server's SYN-ACKs after 1 s and 3 s
  stop_capture
}

# Three transfers of 8000 bytes each way on a clean cable; the client closes first. The
# missing-* captures are this capture with one frame deleted by editcap; the kernel's truth
# is this capture's.
three_transfers() {
  pair "$1" three-transfers
  start_capture server s0
  serve server $S 8080 close 3
  run_clients client $S 8080 3 0.2 bulk:8000
  sleep 0.3
  stop_capture
}
delete_frame() { # family name tshark-filter which-match: copies three-transfers without that frame
  family "$1" three-transfers
  local from=$NAME frame
  family "$1" "$2"
  frame=$(tshark -r "$out/$from.pcap" -Y "$3" -T fields -e frame.number | sed -n "${4}p")
  [ -n "$frame" ] || { echo "no frame matches $3" >&2; exit 1; }
  editcap "$out/$from.pcap" "$out/$NAME.pcap" "$frame" 2>/dev/null
  echo "   $NAME.pcap: $from.pcap without frame $frame ($3, match $4)"
}
missing_fin() { delete_frame "$1" missing-fin 'tcp.stream==0 && tcp.flags.fin==1 && tcp.dstport==8080' 1; }
missing_synack() { delete_frame "$1" missing-synack 'tcp.stream==1 && tcp.flags.syn==1 && tcp.flags.ack==1' 1; }
missing_data() { delete_frame "$1" missing-data 'tcp.stream==2 && tcp.dstport==8080 && tcp.len>0' 2; }

# The server stops answering (its OUTPUT drops everything from :8080) once the client has its
# echo; a second later the client closes and exits: its orphaned FIN_WAIT1 gives up after
# tcp_orphan_retries=1, silently. The server got the FIN: CLOSE_WAIT.
fin_wait1_orphan() {
  pair "$1" fin-wait1-orphan
  tune client net.ipv4.tcp_orphan_retries=1
  start_capture server s0
  serve server $S 8080 leak 1
  tail_listener
  bg client python3 "$here/client.py" $S 8080 1 0 closeafter:1
  until_true "the echo" sockets server 1 state established '( sport = :8080 )'
  sleep 0.3
  in_ns server $IPT -A OUTPUT -p tcp --sport 8080 -j DROP
  until_true "FIN_WAIT1" sockets client 1 state fin-wait-1
  until_true "the orphan to give up" sockets client 0 '( dport = :8080 )'
  sleep 2
  tail_connection
  stop_capture
}

# The server stops answering after the handshake; a second later the client sends 1000
# bytes and retransmits them until it gives up, silently: TCP_USER_TIMEOUT 1500 ms
# (data-user-timeout) or tcp_retries2=2 (data-retries2). The server got the data.
data_give_up() { # family name client-mode [sysctl]
  pair "$1" "$2"
  [ -n "${4:-}" ] && tune client "$4"
  start_capture server s0
  serve server $S 8080 leak 1
  tail_listener
  bg client python3 "$here/client.py" $S 8080 1 0 "$3"
  until_true "the handshake" sockets server 1 state established '( sport = :8080 )'
  in_ns server $IPT -A OUTPUT -p tcp --sport 8080 -j DROP
  until_true "the client to give up" sockets client 0 '( dport = :8080 )'
  sleep 2
  tail_connection
  stop_capture
}
data_user_timeout() { data_give_up "$1" data-user-timeout late:1500; }
data_retries2() { data_give_up "$1" data-retries2 late:0 net.ipv4.tcp_retries2=2; }

# Keepalive every second, 2 probes; the server stops answering after the handshake: the
# client's probes go unanswered, then it gives up with a RST, which the server takes.
keepalive_exhausted() {
  pair "$1" keepalive-exhausted
  start_capture server s0
  serve server $S 8080 leak 1
  bg client python3 "$here/client.py" $S 8080 1 0 keepalive:2
  until_true "the handshake" sockets server 1 state established '( sport = :8080 )'
  in_ns server $IPT -A OUTPUT -p tcp --sport 8080 -j DROP
  until_true "the RST" sockets server 0 exclude listening '( sport = :8080 )'
  sleep 0.3
  stop_capture
}

# The client closes and exits while the server never closes: the orphaned FIN_WAIT2 is
# reaped by tcp_fin_timeout=2, without a packet. On the wire this is a shutdown() half-close.
fin_wait2_reaped() {
  pair "$1" fin-wait2-reaped
  tune client net.ipv4.tcp_fin_timeout=2
  start_capture server s0
  serve server $S 8080 leak 1
  tail_listener
  bg client python3 "$here/client.py" $S 8080 1 0 closeafter:0
  until_true "FIN_WAIT2" sockets client 1 state fin-wait-2
  until_true "the reaping" sockets client 0 '( dport = :8080 )'
  sleep 1
  tail_connection
  stop_capture
}

# TIME_WAIT assassination (RFC 1337): the client closes first and sits in TIME_WAIT; a second
# later an old duplicate of the server's FIN arrives; the client acknowledges it, the server,
# which has no connection, answers that ACK with a RST whose sequence is acceptable, and the
# client's TIME_WAIT ends (tcp_rfc1337=0, the default).
time_wait_rst() {
  pair "$1" time-wait-rst
  start_capture server s0
  bg server python3 "$here/inject.py" replay s0 $S 1 > "$work/inject.log"
  local inject=${PIDS[-1]}
  until_true "the sniffer" said waiting "$work/inject.log"
  serve server $S 8080 close 1
  run_clients client $S 8080 1 0 close
  until_true "the duplicate FIN" exited $inject
  sleep 0.5
  stop_capture
}

# tcp_syncookies=2: every SYN-ACK carries a cookie, the listener keeps no request. Two
# clean connections to :8080; on :8081 the client's handshake ACK is dropped in its OUTPUT:
# the client is ESTABLISHED, the server has nothing and sends no second SYN-ACK.
syn_cookies() {
  pair "$1" syn-cookies
  tune server net.ipv4.tcp_syncookies=2
  in_ns client $IPT -A OUTPUT -p tcp --dport 8081 --tcp-flags SYN,ACK,FIN,RST,PSH ACK -j DROP
  start_capture server s0
  serve server $S 8080 close 2
  serve server $S 8081 leak 1
  tail_listener
  bg client python3 "$here/client.py" $S 8081 1 0 idle
  run_clients client $S 8080 2 0.1 close
  sleep 2 # past the time a SYN_RECV would send its SYN-ACK again
  tail_connection
  stop_capture
}

# A listener with a backlog of 4 that never accepts (its queue holds 5): four clients
# connect, three more get their SYN-ACK while their ACKs are dropped in the client's OUTPUT;
# when they acknowledge the retransmitted SYN-ACK one fills the queue and two overflow. With
# tcp_abort_on_overflow 0 the server drops those ACKs and keeps them in SYN_RECV; with 1 it
# answers them with a RST.
accept_overflow() { # family name abort
  pair "$1" "$2"
  tune server net.ipv4.tcp_abort_on_overflow=$3
  start_capture server s0
  serve server $S 8080 noaccept
  bg client python3 "$here/client.py" $S 8080 4 0 idle
  until_true "four connections" sockets server 4 state established
  in_ns client $IPT -A OUTPUT -p tcp --dport 8080 --tcp-flags SYN,ACK,FIN,RST ACK -j DROP
  bg client python3 "$here/client.py" $S 8080 3 0 idle
  until_true "three more SYN-ACKs" sockets client 7 state established
  in_ns client $IPT -F OUTPUT
  sleep 4 # the server sends its SYN-ACKs again after 1 s and 3 s
  stop_capture
}
accept_queue_overflow() { accept_overflow "$1" accept-queue-overflow 0; }
accept_queue_overflow_abort() { accept_overflow "$1" accept-queue-overflow-abort 1; }

# TCP Fast Open on both hosts (tcp_fastopen=3): the first connection asks for a cookie, the
# second sends its request in the SYN with that cookie. The client closes both first.
fast_open() {
  pair "$1" fast-open
  tune client net.ipv4.tcp_fastopen=3
  tune server net.ipv4.tcp_fastopen=3
  start_capture server s0
  serve server $S 8080 tfo 2
  run_clients client $S 8080 2 0.3 tfo
  sleep 0.3
  stop_capture
}

# Both ends close at once, and the client's first FIN is lost before the capture point (the
# router's FORWARD drops it once, statistic nth): the server's FIN finds the client in
# FIN_WAIT1, whose ACK of it counts the FIN the capture never saw; the client sends its FIN
# again, and both end in TIME_WAIT (the client through CLOSING). Captured on the server's veth.
# (A FIN dropped in the client's own OUTPUT would not do: its kernel takes it as never sent.)
crossing_fin_lost() {
  routed "$1" crossing-fin-lost
  in_ns router $IPT -A FORWARD -p tcp --dport 8080 --tcp-flags FIN FIN \
    -m statistic --mode nth --every 1000 --packet 0 -j DROP
  start_capture server s0
  serve server $S 8080 simclose 1
  local server=${PIDS[-1]}
  bg client python3 "$here/client.py" $S 8080 1 0 simclose
  local client=${PIDS[-1]}
  until_true "the echo" sockets client 1 state established '( dport = :8080 )'
  sleep 0.3
  kill -USR1 "$client"
  until_true "FIN_WAIT1" sockets client 1 state fin-wait-1
  kill -USR1 "$server"
  until_true "both TIME_WAIT" sockets server 1 state time-wait
  until_true "both TIME_WAIT" sockets client 1 state time-wait
  sleep 0.3
  stop_capture
}

# The server's answer never reaches the client (its INPUT drops segments with PSH from :8080);
# the server aborts: its RST, at the sequence number after that answer, is not exact for the
# client, which answers it with a challenge ACK and stays open. The closed server's RST to that
# ACK is dropped once (statistic nth) by the client's INPUT. A second later the client closes;
# the server answers the FIN with an RST at the FIN's acknowledgement number, below all the
# server sent but exact for the client, which is gone. Captured on the server's veth.
rst_after_lost_data() {
  pair "$1" rst-after-lost-data
  in_ns client $IPT -A INPUT -p tcp --sport 8080 --tcp-flags PSH PSH -j DROP
  in_ns client $IPT -A INPUT -p tcp --sport 8080 --tcp-flags RST,ACK RST \
    -m statistic --mode nth --every 1000 --packet 0 -j DROP
  start_capture server s0
  serve server $S 8080 abort 1
  run_clients client $S 8080 1 0 closelate:1.5
  until_true "the client to close" sockets client 0 '( dport = :8080 )'
  sleep 0.3
  stop_capture
}

# name: function and families. accept-queue-overflow in IPv4 is make-captures.sh's.
SCENARIOS="router-lossy:router_lossy:4,6 relay-vlan:relay_vlan:4,6 bridge-clients:bridge_clients:4,6
final-ack-lost-once:final_ack_lost_once:4,6 handshake-ack-lost-once:handshake_ack_lost_once:4,6 synack-lost:synack_lost:4,6
three-transfers:three_transfers:4,6 missing-fin:missing_fin:4,6 missing-synack:missing_synack:4,6
missing-data:missing_data:4,6 fin-wait1-orphan:fin_wait1_orphan:4,6 data-user-timeout:data_user_timeout:4,6
data-retries2:data_retries2:4,6 keepalive-exhausted:keepalive_exhausted:4,6 fin-wait2-reaped:fin_wait2_reaped:4,6
time-wait-rst:time_wait_rst:4,6 syn-cookies:syn_cookies:4,6 accept-queue-overflow:accept_queue_overflow:6
accept-queue-overflow-abort:accept_queue_overflow_abort:4,6 fast-open:fast_open:4,6
crossing-fin-lost:crossing_fin_lost:4,6 rst-after-lost-data:rst_after_lost_data:4,6"

echo "Linux $(uname -r)"
made=0
for entry in $SCENARIOS; do
  IFS=: read -r base fn families <<< "$entry"
  for f in ${families//,/ }; do
    family "$f" "$base"
    if [ $# -gt 0 ] && ! [[ " $* " == *" $NAME "* || " $* " == *" $base "* ]]; then continue; fi
    echo "== $NAME"
    "$fn" "$f"
    cleanup
    made=$((made + 1))
  done
done
[ $made -gt 0 ] || { echo "unknown scenario: $* (known: the names in SCENARIOS, ipv6-NAME for IPv6)" >&2; exit 2; }
echo "captures written to $out"
