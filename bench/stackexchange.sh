#!/usr/bin/env bash
# Import benchmark (issue 5): generate a Stack Exchange dump of BENCH_POSTS
# posts (default 1,000,000; bench/gen_stackexchange.py, seeded), import it
# on SQLite and on a throwaway PostgreSQL, report posts per second (over
# the import's own time) and peak memory (/usr/bin/time), then export it.
#   bench/stackexchange.sh 2>&1 | tee bench/results/$(date -u +%F)-import.txt
source "$(dirname "$0")/lib.sh"
POSTS="${BENCH_POSTS:-1000000}"
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release -q -p guildhall
BIN="$CARGO_TARGET_DIR/release/guildhall"
DUMP="${BENCH_DUMP:-/tmp/guildhall-se-dump-$POSTS}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "date: $(date -u +%F)  posts: $POSTS"
[ -f "$DUMP/Badges.xml" ] || python3 "$(dirname "$0")/gen_stackexchange.py" "$DUMP" "$POSTS"
du -sh "$DUMP"

import_on() {
  local name="$1"; shift
  "$BIN" "$@" migrate >/dev/null
  /usr/bin/time -f "$name: %e s wall, %M KB peak memory" "$BIN" "$@" import stackexchange "$DUMP" --format json 2>/tmp/gh-import-time.txt \
    | python3 -c "import json,sys; r=json.load(sys.stdin); i=r['imported']; p=i['questions']+i['answers']; print('$name imported', i, 'skipped', r['skipped_total']); print('$name posts/s: %.0f (%d posts in %.1f s)' % (p / r['seconds'], p, r['seconds'])); print('$name steps:', ', '.join('%s %.1fs' % (s['step'], s['seconds']) for s in r['steps']))"
  tail -1 /tmp/gh-import-time.txt
  local out; out=$(mktemp -d)
  /usr/bin/time -f "$name export: %e s wall, %M KB peak memory" "$BIN" "$@" export stackexchange "$out" 2>&1 | grep -v INFO | tail -10
  rm -rf "$out"
}

DATA=$(mktemp -d /tmp/guildhall-bench-import.XXXX)
import_on sqlite --data-dir "$DATA"
echo "sqlite database: $(du -sh "$DATA" | cut -f1)"
rm -rf "$DATA"
if [ "${BENCH_IMPORT_PG:-1}" = 1 ]; then
  start_pg
  trap stop_pg EXIT
  import_on postgres --database-url "$PG_URL/postgres"
fi
