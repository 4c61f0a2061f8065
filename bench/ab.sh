#!/usr/bin/env bash
# Two builds of guildhall side by side, in the same run, on the same
# machine: the question page (anonymous, and as a logged-in member) and
# the home list, on SQLite. For a change on a hot path: compare the ratio,
# not the figures. Results: BENCHMARKS.md (issue 2 section).
#   bench/ab.sh OLD_BINARY NEW_BINARY
#   BENCH_QUESTIONS=20000 BENCH_DURATION=10s bench/ab.sh …
source "$(dirname "$0")/lib.sh"
[ $# = 2 ] || { echo "usage: bench/ab.sh OLD_BINARY NEW_BINARY" >&2; exit 2; }
QUESTIONS="${BENCH_QUESTIONS:-20000}"
echo "machine: $(nproc) cores; questions: $QUESTIONS; wrk -t2 -c$CONNS -d$DURATION, median of $RUNS runs, the two builds taking turns run by run"

declare -A PORT PID QID COOKIE
for side in old new; do
  bin="$1"; [ "$side" = new ] && bin="$2"
  dir="$WORK/ab-$side"; rm -rf "$dir"
  "$bin" --data-dir "$dir" demo >/dev/null
  QID[$side]="$("$bin" --data-dir "$dir" bench-seed --questions "$QUESTIONS" --answers-per-question 3 --comments-per-post 2 | sed -n 's/^benchmark question.*: //p')"
  PORT[$side]="$(free_port)"
  GUILDHALL_LOG=warn "$bin" --data-dir "$dir" serve --bind "127.0.0.1:${PORT[$side]}" &
  PID[$side]=$!
  wait_http "http://127.0.0.1:${PORT[$side]}/healthz"
  COOKIE[$side]="$(curl -s -X POST -H 'Content-Type: application/json' -d '{"login":"alice","password":"guildhall-demo"}' \
    "http://127.0.0.1:${PORT[$side]}/api/v1/session" | python3 -c 'import json,sys; print("gh_session=" + json.load(sys.stdin)["token"])')"
done
trap 'kill ${PID[old]} ${PID[new]} 2>/dev/null || true' EXIT

path_of() { # page side
  case "$1" in
    question|question-member) echo "/questions/${QID[$2]}" ;;
    home) echo "/" ;;
  esac
}

# Run by run, the two builds take turns, so a slower moment of the machine
# falls on both; then the median run of each.
printf '%-16s %-4s %s\n' page side "rps p50_ms p99_ms non2xx"
for page in question question-member home; do
  : > "$WORK/ab-old.txt"; : > "$WORK/ab-new.txt"
  for _ in $(seq 1 "$RUNS"); do
    for side in old new; do
      args=()
      [ "$page" = question-member ] && args=(-H "Cookie: ${COOKIE[$side]}")
      wrk_once "http://127.0.0.1:${PORT[$side]}$(path_of "$page" "$side")" "${args[@]}" >> "$WORK/ab-$side.txt"
    done
  done
  for side in old new; do
    printf '%-16s %-4s %s\n' "$page" "$side" "$(sort -n -k1 "$WORK/ab-$side.txt" | awk -v n="$RUNS" 'NR==int((n+1)/2)')"
  done
done
