#!/usr/bin/env bash
# tcpdump -i any in a bridge namespace sees each packet twice (in on one bridge port, out on the other):
# the fixture for recognising copies. Run as root: sudo bash scripts/captures/make-bridge-copies.sh
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/../../test/fixtures/decode" && pwd)
set -e
for n in tl-a tl-b tl-br; do ip netns del $n 2>/dev/null || true; ip netns add $n; ip -n $n link set lo up; done
ip link add tl-a0 type veth peer name tl-a1; ip link set tl-a0 netns tl-a; ip link set tl-a1 netns tl-br
ip link add tl-b0 type veth peer name tl-b1; ip link set tl-b0 netns tl-b; ip link set tl-b1 netns tl-br
ip -n tl-br link add br0 type bridge; ip -n tl-br link set tl-a1 master br0; ip -n tl-br link set tl-b1 master br0
for l in tl-a1 tl-b1 br0; do ip -n tl-br link set $l up; done
ip -n tl-a addr add 10.78.0.1/24 dev tl-a0; ip -n tl-a link set tl-a0 up
ip -n tl-b addr add 10.78.0.2/24 dev tl-b0; ip -n tl-b link set tl-b0 up
ip netns exec tl-br tcpdump -i any -y LINUX_SLL2 -s 128 -U -w "$out"/bridge-any-copies.pcap >/dev/null 2>&1 &
T=$!
sleep 1
ip netns exec tl-b python3 "$here"/server.py 10.78.0.2 8080 close 2 &
sleep 0.5
ip netns exec tl-a timeout 3 python3 "$here"/client.py 10.78.0.2 8080 2 0.1 close || true
sleep 0.5
kill -INT $T; wait $T || true
for n in tl-a tl-b tl-br; do ip netns del $n; done
