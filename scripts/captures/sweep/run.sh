#!/usr/bin/env bash
# One run of the lossy sweep: two hosts through a router that drops a share of the forwarded
# TCP frames (iptables -m statistic), or through relay.py (loss, 10 ms delay, reordering,
# VLAN-tagged copies to a monitor); some 30 to 60 short connections with mixed endings
# (client-mix.py against server-mix.py), captured at every point at once: each end, the
# router's two ports or the relay's monitor. `ss -tanoi` of every namespace is written as
# NAME.ss-ROLE.txt just before the captures stop. Namespaces are tw-*.
#   sudo bash scripts/captures/sweep/run.sh OUT TOPOLOGY FAMILY LOSS SEED CONNECTIONS NAME
# TOPOLOGY router|relay, FAMILY 4|6. Environment: ENDLOSS (drops on the end hosts too),
# NEAR (the relay's monitor copies at this end), REORDER, PAR (connections at once), MODES
# (client-mix.py's endings to draw from), FINTO (the client's tcp_fin_timeout), ANYDUMP
# (also tcpdump -i any on the router), ZW (a zero-window stall).
# Needs tcpdump, iproute2, iptables, ethtool and python3; run as root.
set -euo pipefail
exec 2> >(grep -v " Killed " >&2) # the clients killed on purpose
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd); shift
topo=$1 fam=$2 loss=$3 seed=$4 n=$5 name=$6
work=$(mktemp -d)
declare -A NS=(); PIDS=(); DUMPS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap 'cleanup; rm -rf "$work"' EXIT
host() { for r; do NS[$r]=tw-$r; ip netns del tw-$r 2>/dev/null || true; ip netns add tw-$r; ip -n tw-$r link set lo up; done; }
in_ns() { local r=$1; shift; ip netns exec "${NS[$r]}" "$@"; }
bg() { local r=$1; shift; ip netns exec "${NS[$r]}" "$@" & PIDS+=($!); }
cable() { ip link add "$2" netns "${NS[$1]}" type veth peer name "$4" netns "${NS[$3]}"
  ip -n ${NS[$1]} link set $2 up; ip -n ${NS[$3]} link set $4 up
  in_ns $1 ethtool -K $2 tso off gso off gro off >/dev/null; in_ns $3 ethtool -K $4 tso off gso off gro off >/dev/null; }
addr() { ip -n ${NS[$1]} addr add $3 dev $2; ip -n ${NS[$1]} addr add $4 dev $2 nodad; }
until_true() { local what=$1 i; shift; for i in $(seq 600); do "$@" && return; sleep 0.05; done; echo "gave up waiting for $what" >&2; exit 1; }
said() { grep -q "$1" "$2"; }
sockets() { [ "$(in_ns "$1" ss -tanH "${@:3}" | wc -l)" -eq "$2" ]; }
exited() { ! kill -0 "$1" 2>/dev/null; }
dump() { # role iface tag [opts]
  local r=$1 i=$2 tag=$3; shift 3
  bg $r tcpdump -i $i -s 128 -U --immediate-mode "$@" -w $out/$name.$tag.pcap 2>$work/td-$tag.err
  DUMPS+=(${PIDS[-1]}); until_true "tcpdump $tag" said listening $work/td-$tag.err
}
if [ $fam = 4 ]; then IPT=iptables; else IPT=ip6tables; fi
MODES=${MODES:-}
if [ $topo = router ]; then
  host client router server
  cable client c0 router r0; cable router r1 server s0
  addr client c0 10.79.1.1/24 fd79:1::1/64; addr router r0 10.79.1.254/24 fd79:1::fe/64
  addr router r1 10.79.2.254/24 fd79:2::fe/64; addr server s0 10.79.2.1/24 fd79:2::1/64
  in_ns client ip route add default via 10.79.1.254; in_ns client ip -6 route add default via fd79:1::fe
  in_ns server ip route add default via 10.79.2.254; in_ns server ip -6 route add default via fd79:2::fe
  in_ns router sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  in_ns router $IPT -A FORWARD -p tcp -m statistic --mode random --probability $loss -j DROP
  if [ -n "${ENDLOSS:-}" ]; then
    in_ns client $IPT -A INPUT -p tcp -m statistic --mode random --probability $ENDLOSS -j DROP
    in_ns server $IPT -A INPUT -p tcp -m statistic --mode random --probability $ENDLOSS -j DROP
  fi
  if [ $fam = 4 ]; then S=10.79.2.1; else S=fd79:2::1; fi
  sleep 1.5
  dump client c0 c0; dump router r0 r0; dump router r1 r1; dump server s0 s0
  [ -n "${ANYDUMP:-}" ] && dump router any anyr
else
  host client server relay monitor
  bg relay python3 $here/../relay.py tw-tc tw-ts --monitor tw-tm --near ${NEAR:-tw-tc} --vlan 100 \
    --loss $loss --delay 10 --reorder ${REORDER:-0.05} --hold 15 --seed $seed > $work/relay.log
  until_true relay said ready $work/relay.log
  ip -n tw-relay link set tw-tc netns tw-client; ip -n tw-relay link set tw-ts netns tw-server
  ip -n tw-relay link set tw-tm netns tw-monitor
  addr client tw-tc 10.79.0.1/24 fd79::1/64; addr server tw-ts 10.79.0.2/24 fd79::2/64
  ip -n tw-client link set tw-tc up; ip -n tw-server link set tw-ts up
  in_ns monitor sysctl -qw net.ipv6.conf.tw-tm.disable_ipv6=1
  ip -n tw-monitor link set tw-tm mtu 1508 up
  if [ $fam = 4 ]; then S=10.79.0.2; else S=fd79::2; fi
  sleep 1.5
  dump monitor tw-tm mon -Q in; dump client tw-tc c0; dump server tw-ts s0
fi
bg server python3 $here/server-mix.py $S 8080 > /dev/null
until_true listener sockets server 1 state listening '( sport = :8080 )'
bg server python3 $here/server-mix.py $S 8081 > /dev/null
srv2=${PIDS[-1]}
until_true listener sockets server 1 state listening '( sport = :8081 )'
bg client python3 $here/client-mix.py $S 8081 $((seed+2000)) 3 3 idle > $work/kill2.log
until_true "idle to 8081" said done $work/kill2.log
if [ -n "${ZW:-}" ]; then bg client python3 $here/client-mix.py $S 8081 $((seed+3000)) 2 2 zw > $work/zw.log; until_true "zw" said done $work/zw.log; fi
bg client python3 $here/client-mix.py $S 8080 $((seed+1000)) 3 3 hold > $work/kill.log
killme=${PIDS[-1]}
[ -n "${FINTO:-}" ] && in_ns client sysctl -qw net.ipv4.tcp_fin_timeout=$FINTO
bg client python3 $here/client-mix.py $S 8080 $seed $n ${PAR:-6} $MODES > $work/cli.log
until_true "clients" said done $work/cli.log
until_true "kill clients" said done $work/kill.log
kill -9 $killme
kill -9 $srv2
sleep 3
for r in "${!NS[@]}"; do in_ns $r ss -tanoi > $out/$name.ss-$r.txt; done
sleep 0.05
for d in "${DUMPS[@]}"; do kill -INT $d; done
for d in "${DUMPS[@]}"; do wait $d 2>/dev/null || true; done
[ $topo = relay ] && { kill $(pgrep -P $$ -f relay.py || true) 2>/dev/null || true; }
echo "$name: $(ls $out/$name.*.pcap | wc -l) captures"
