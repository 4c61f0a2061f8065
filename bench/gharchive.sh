#!/usr/bin/env bash
# Analytics benchmark (issue 6): generate BENCH_EVENTS GH Archive events
# (default 10,000,000; bench/gen_gharchive.py, seeded: 200,000 developers,
# 20,000 repositories, one month), import and aggregate them with
# guildhall on SQLite (events/s, peak memory), then compute global
# OpenRank (time, iterations); in the same run DuckDB (PyPI `duckdb`, in a
# venv this script makes) does the same activity aggregation on the same
# file with SQL, as the reference.
#   bench/gharchive.sh 2>&1 | tee bench/results/$(date -u +%F)-gharchive.txt
# BENCH_GH_PG=1 adds one run of the import on a throwaway PostgreSQL cluster.
source "$(dirname "$0")/lib.sh"
EVENTS="${BENCH_EVENTS:-10000000}"
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release -q -p guildhall
BIN="$CARGO_TARGET_DIR/release/guildhall"
FILE="${BENCH_FILE:-/tmp/guildhall-gharchive-$EVENTS.json}"
VENV="${BENCH_VENV:-/tmp/guildhall-duckdb-venv}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "date: $(date -u +%F)  events: $EVENTS"
[ -s "$FILE" ] || python3 "$(dirname "$0")/gen_gharchive.py" "$FILE" "$EVENTS"
echo "file: $(du -h "$FILE" | cut -f1)"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check duckdb
fi

runs="${BENCH_RUNS:-3}"
for i in $(seq "$runs"); do
  DATA=$(mktemp -d /tmp/guildhall-bench-gh.XXXX)
  "$BIN" --data-dir "$DATA" migrate >/dev/null 2>&1
  /usr/bin/time -f "guildhall import: %e s wall, %M KB peak memory" "$BIN" --data-dir "$DATA" analytics import "$FILE" --format json 2>/tmp/gh-time.txt \
    | python3 -c "import json,sys; r=json.load(sys.stdin); print('guildhall run $i: %d events in %.1f s = %.0f events/s (%d flushes)' % (r['events'], r['seconds'], r['events']/r['seconds'], r['flushes']))"
  grep "peak memory" /tmp/gh-time.txt
  /usr/bin/time -f "guildhall compute: %e s wall, %M KB peak memory" "$BIN" --data-dir "$DATA" analytics compute 2>&1 | grep -v INFO | tail -3
  echo "sqlite database: $(du -sh "$DATA" | cut -f1)"
  rm -rf "$DATA"
  /usr/bin/time -f "duckdb: %e s wall, %M KB peak memory" "$VENV/bin/python" "$(dirname "$0")/duckdb_activity.py" "$FILE" 2>&1
done

# The same import on PostgreSQL (BENCH_GH_PG=1): a throwaway cluster, one run.
if [ -n "${BENCH_GH_PG:-}" ]; then
  start_pg
  trap stop_pg EXIT
  $PG_AS psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE gh" >/dev/null
  export GUILDHALL_DATABASE_URL="$PG_URL/gh"
  "$BIN" migrate >/dev/null 2>&1
  /usr/bin/time -f "guildhall import (PostgreSQL): %e s wall, %M KB peak memory" "$BIN" analytics import "$FILE" --format json 2>/tmp/gh-time.txt \
    | python3 -c "import json,sys; r=json.load(sys.stdin); print('guildhall PostgreSQL: %d events in %.1f s = %.0f events/s (%d flushes, %.1f s writing, indexes built in %.1f s)' % (r['events'], r['seconds'], r['events']/r['seconds'], r['flushes'], r['write_seconds'], r['index_seconds']))"
  grep "peak memory" /tmp/gh-time.txt
  /usr/bin/time -f "guildhall compute (PostgreSQL): %e s wall, %M KB peak memory" "$BIN" analytics compute 2>&1 | grep -v INFO | tail -3
fi
