#!/usr/bin/env bash
# Search benchmark (issue 4): BENCH_POSTS posts (default 1,000,000: a
# quarter questions, three answers each; half Chinese, words drawn from a
# few hundred per language by Zipf's law), then
#   - index build time and size (tantivy, `guildhall search rebuild`),
#   - p50/p99 latency of single words, phrases and operator queries at
#     BENCH_CLIENTS concurrent clients, through the service layer,
#   - in the same run, on the same database, SQL LIKE (Apache Answer's
#     default search) for the same words.
# On PostgreSQL too when BENCH_SEARCH_PG=1 (search_docs rebuild + the same queries);
# BENCH_SEARCH_SQLITE=0 leaves SQLite out.
# The query part runs BENCH_RUNS times (default 3); medians are printed last.
#   bench/search.sh 2>&1 | tee bench/results/$(date -u +%F)-search.txt
source "$(dirname "$0")/lib.sh"
POSTS="${BENCH_POSTS:-1000000}"
CLIENTS="${BENCH_CLIENTS:-8}"
QUERIES="${BENCH_SEARCH_QUERIES:-800}"
LIKE_QUERIES="${BENCH_LIKE_QUERIES:-24}"
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release -q -p guildhall
BIN="$CARGO_TARGET_DIR/release/guildhall"
QUESTIONS=$((POSTS / 4))
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "date: $(date -u +%F)  posts: $POSTS  clients: $CLIENTS"

bench_backend() {
  local name="$1"; shift
  local db_args=("$@")
  "$BIN" "${db_args[@]}" migrate >/dev/null
  local t0=$SECONDS
  "$BIN" "${db_args[@]}" bench-seed --questions "$QUESTIONS" --answers-per-question 3 --comments-per-post 0 | grep -v "^benchmark question"
  echo "$name seed seconds: $((SECONDS - t0))"
  /usr/bin/time -f "$name rebuild: %e s wall, %M KB peak memory" "$BIN" "${db_args[@]}" search rebuild 2>&1 | tail -2
  # The query part BENCH_RUNS times (LIKE only in the first: it is slow),
  # then the median p50/p99 per class over the runs.
  local runs="$WORK/search-$name-runs.txt" n="$RUNS"
  # PostgreSQL takes minutes a run at a million posts.
  [ "$name" = postgres ] && n="${BENCH_PG_RUNS:-1}"
  : > "$runs"
  for i in $(seq 1 "$n"); do
    local like=0 agree=0
    [ "$i" = 1 ] && like="$LIKE_QUERIES" && agree="${BENCH_AGREEMENT_QUERIES:-20}"
    "$BIN" "${db_args[@]}" search bench --clients "$CLIENTS" --queries "$QUERIES" --like-queries "$like" --agreement-queries "$agree" 2>&1 \
      | grep -v "INFO\|WARN" | { [ "$i" = 1 ] && cat || grep -v "^like\|^LIKE\|^agreement"; } | sed "s/^/$name run $i: /" | tee -a "$runs"
  done
  python3 - "$runs" "$name" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    parts = line.split(": ", 1)[1].split()
    if parts and parts[0] in ("word", "phrase", "operators"):
        runs[parts[0]].append((float(parts[2]), float(parts[3]), float(parts[4])))
for cls, v in runs.items():
    print(f"{sys.argv[2]} median of {len(v)} runs\t{cls}\tp50 {statistics.median(x[0] for x in v):.2f}\tp99 {statistics.median(x[1] for x in v):.2f}\tqueries/s {statistics.median(x[2] for x in v):.0f}")
PY
  rm -f "$runs"
}

if [ "${BENCH_SEARCH_SQLITE:-1}" = 1 ]; then
  rm -rf "$WORK/search-sqlite"
  bench_backend sqlite --data-dir "$WORK/search-sqlite"
  echo "sqlite database: $(du -sh "$WORK/search-sqlite/guildhall.db" | cut -f1), index: $(du -sh "$WORK/search-sqlite/search" | cut -f1)"
  rm -rf "$WORK/search-sqlite"
fi

if [ "${BENCH_SEARCH_PG:-0}" = 1 ]; then
  start_pg
  trap stop_pg EXIT
  bench_backend postgres --database-url "$PG_URL/postgres"
  echo "postgres search_docs: $($PG_AS psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atc "SELECT pg_size_pretty(pg_total_relation_size('search_docs'))"), search_heads: $($PG_AS psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atc "SELECT pg_size_pretty(pg_total_relation_size('search_heads'))"), search_postings: $($PG_AS psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atc "SELECT pg_size_pretty(pg_total_relation_size('search_postings'))")"
fi
