#!/usr/bin/env bash
# Every run of runs.txt into OUT, then each capture compared with the kernel's sockets:
#   sudo bash scripts/captures/sweep/sweep.sh OUT        (ONLY="r4a x6b" for some runs)
#   node scripts/captures/sweep/against-kernel.mjs OUT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
grep -v '^#' "$here/runs.txt" | while read -r line; do
  set -- $line
  vars=(); while [[ $1 == *=* ]]; do vars+=("$1"); shift; done
  name=${6}
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then continue; fi
  env "${vars[@]}" bash "$here/run.sh" "$out" "$@" < /dev/null
done
