#!/usr/bin/env bash
# Paired whole-process timings of `analyze --format ndjson` by two builds of
# the tool, run in turn (A B A B ...) so that a machine whose speed drifts
# moves both alike; prints each pair and the medians of the pair ratios B/A.
#
#   git worktree add /tmp/before 664960d && (cd /tmp/before && npm ci)
#   bash scripts/bench/paired.sh /tmp/before . /tmp/tcp-lifecycle-bench.pcap 20
#
# Each build is a checkout with `dist/` built (npm ci builds it). The output
# goes to a file on tmpfs (/dev/shm), as in `npm run bench`; times and peak
# memory come from GNU time.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: bash scripts/bench/paired.sh BUILD_A BUILD_B CAPTURE [PAIRS]" >&2
  exit 2
fi
a=$1 b=$2 capture=$3 pairs=${4:-10}
for build in "$a" "$b"; do
  [ -f "$build/dist/cli.js" ] || { echo "$build/dist/cli.js: not built (run npm ci there)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time)" >&2; exit 2; }
out=$(mktemp -p /dev/shm paired.XXXXXX)
trap 'rm -f "$out" "$out.time"' EXIT

# wall, user + sys, peak MiB of one run
run() {
  /usr/bin/time -o "$out.time" -f '%e %U %S %M' node "$1/dist/cli.js" analyze --format ndjson "$capture" > "$out"
  awk '{ printf "%.2f %.2f %d\n", $1, $2 + $3, $4 / 1024 }' "$out.time"
}

echo "pair  A wall  A cpu  A MiB  B wall  B cpu  B MiB  B/A wall  B/A cpu"
for i in $(seq "$pairs"); do
  read -r aw ac am < <(run "$a")
  read -r bw bc bm < <(run "$b")
  awk -v i="$i" -v aw="$aw" -v ac="$ac" -v am="$am" -v bw="$bw" -v bc="$bc" -v bm="$bm" \
    'BEGIN { printf "%4d  %6.2f  %5.2f  %5d  %6.2f  %5.2f  %5d  %8.3f  %7.3f\n", i, aw, ac, am, bw, bc, bm, bw / aw, bc / ac }'
done | tee "$out.pairs"
sort -n -k8 "$out.pairs" | awk '{ w[NR] = $8 } END { printf "median B/A wall %.3f (%.3f to %.3f)\n", (NR % 2 ? w[(NR + 1) / 2] : (w[NR / 2] + w[NR / 2 + 1]) / 2), w[1], w[NR] }'
sort -n -k9 "$out.pairs" | awk '{ c[NR] = $9 } END { printf "median B/A cpu  %.3f (%.3f to %.3f)\n", (NR % 2 ? c[(NR + 1) / 2] : (c[NR / 2] + c[NR / 2 + 1]) / 2), c[1], c[NR] }'
rm -f "$out.pairs"
