#!/usr/bin/env bash
# Makes the reference capture for `npm run bench`: nginx on loopback under wrk
# with one request per connection (Connection: close), captured by tcpdump with
# a 96-byte snap length. Run as root (tcpdump on lo):
#   sudo bash scripts/bench/make-capture.sh [out.pcap] [seconds] [connections-in-flight]
# Needs nginx, wrk and tcpdump (Debian: apt-get install nginx-light wrk tcpdump).
# A pcapng copy is written beside it with editcap when tshark's tools are installed.
set -euo pipefail
out=${1:-/tmp/tcp-lifecycle-bench.pcap}
seconds=${2:-25}
inflight=${3:-32}
port=8088
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_timeout 0;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server { listen 127.0.0.1:$port; location / { return 200 "ok\n"; } }
}
CONF
nginx -c "$work/nginx.conf"
sleep 0.5
tcpdump -i lo -s 96 -B 262144 -U -w "$out" "tcp port $port" 2> "$work/tcpdump.log" &
dump=$!
sleep 1
wrk -t 2 -c "$inflight" -d "${seconds}s" -H 'Connection: close' "http://127.0.0.1:$port/" | sed -n '/requests in/p;/Socket errors/p'
sleep 1
kill -INT $dump
wait $dump || true
grep -E 'captured|dropped' "$work/tcpdump.log" || true
if command -v editcap >/dev/null; then editcap -F pcapng "$out" "${out%.pcap}.pcapng"; fi
ls -l "$out" "${out%.pcap}.pcapng" 2>/dev/null || true
