#!/usr/bin/env bash
# Knowledge-community benchmark (issue 2): question page, home list, the
# static /hello ceiling, and a write mix, on SQLite and PostgreSQL.
#   bench/run.sh            # 100,000 questions, 300,000 answers
#   BENCH_QUESTIONS=10000 bench/run.sh   # quicker
# Prints a table; BENCHMARKS.md records the numbers with the askbot
# reference measured in the same session (bench/askbot.sh).
source "$(dirname "$0")/lib.sh"
QUESTIONS="${BENCH_QUESTIONS:-100000}"
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release -q -p guildhall
BIN="$CARGO_TARGET_DIR/release/guildhall"
RESULTS="$WORK/results.txt"
: > "$RESULTS"

bench_backend() {
  local name="$1"; shift
  local db_args=("$@")
  "$BIN" "${db_args[@]}" demo >/dev/null
  local qid
  local seeded
  seeded="$("$BIN" "${db_args[@]}" bench-seed --questions "$QUESTIONS" --answers-per-question 3 --comments-per-post 2)"
  echo "$seeded"
  qid="$(echo "$seeded" | sed -n 's/^benchmark question.*: //p')"
  local port; port="$(free_port)"
  GUILDHALL_LOG=warn "$BIN" "${db_args[@]}" serve --bind "127.0.0.1:$port" &
  local pid=$!
  wait_http "http://127.0.0.1:$port/healthz"
  local answers
  answers="$(curl -s "http://127.0.0.1:$port/api/v1/questions/$qid" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["answers"]), len(d["comments"]))')"
  echo "$name question $qid has answers/comments: $answers"
  curl -s -o /dev/null "http://127.0.0.1:$port/questions/$qid"
  for page in "hello:/hello" "question:/questions/$qid" "home:/"; do
    local label="${page%%:*}" path="${page#*:}"
    echo "$name $label $(wrk_median "http://127.0.0.1:$port$path")" | tee -a "$RESULTS"
  done
  local tokens=""
  for u in alice carol bob xiaoming lihua; do
    tokens+="$(curl -s -X POST -H 'Content-Type: application/json' -d "{\"login\":\"$u\",\"password\":\"guildhall-demo\"}" "http://127.0.0.1:$port/api/v1/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'),"
  done
  local max_id=$((QUESTIONS * 4))
  local qids
  qids="$(curl -s "http://127.0.0.1:$port/api/v1/questions?sort=newest&per_page=100" | python3 -c 'import json,sys; print(",".join(str(q["id"]) for q in json.load(sys.stdin)["questions"]))')"
  echo "$name writes $(TOKENS="$tokens" MAX_ID="$max_id" QIDS="$qids" wrk_median "http://127.0.0.1:$port/" -s "$BENCH_DIR/write_mix.lua")" | tee -a "$RESULTS"
  "$BIN" "${db_args[@]}" recompute --dry-run | tail -2
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # The same reads with the page cache off: every request goes to the database.
  GUILDHALL_PAGE_CACHE=off GUILDHALL_LOG=warn "$BIN" "${db_args[@]}" serve --bind "127.0.0.1:$port" &
  pid=$!
  wait_http "http://127.0.0.1:$port/healthz"
  for page in "question-nocache:/questions/$qid" "home-nocache:/"; do
    local label="${page%%:*}" path="${page#*:}"
    echo "$name $label $(wrk_median "http://127.0.0.1:$port$path")" | tee -a "$RESULTS"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

rm -rf "$WORK/sqlite"
bench_backend sqlite --data-dir "$WORK/sqlite"
start_pg
trap stop_pg EXIT
$PG_AS psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE guildhall" >/dev/null
bench_backend postgres --database-url "$PG_URL/guildhall"
echo
echo "backend page rps p50_ms p99_ms non2xx (median of $RUNS runs, wrk -t2 -c$CONNS -d$DURATION)"
cat "$RESULTS"
