# Shared helpers for the benchmark scripts (sourced).
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="${BENCH_WORK:-/tmp/guildhall-bench}"
DURATION="${BENCH_DURATION:-20s}"
CONNS="${BENCH_CONNECTIONS:-32}"
RUNS="${BENCH_RUNS:-3}"
mkdir -p "$WORK"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() { for _ in $(seq 1 600); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done; echo "not up: $1" >&2; return 1; }

# wrk one URL; prints "rps p50_ms p99_ms"
wrk_once() {
  local url="$1"; shift
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$@" "$url" 2>&1 | python3 "$BENCH_DIR/parse_wrk.py"
}

# median of RUNS runs: prints "rps p50 p99" of the median-rps run
wrk_median() {
  local url="$1"; shift
  for _ in $(seq 1 "$RUNS"); do wrk_once "$url" "$@"; done | sort -n -k1 | awk -v n="$RUNS" 'NR==int((n+1)/2)'
}

# A throwaway PostgreSQL cluster as the postgres user; sets PG_URL, PG_DIR.
start_pg() {
  PG_DIR="$(mktemp -d /tmp/guildhall-bench-pg.XXXX)"
  PG_PORT="$(free_port)"
  local as=""
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PG_DIR"; as="runuser -u postgres --"; fi
  $as initdb -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
  $as pg_ctl -D "$PG_DIR/data" -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_DIR -c shared_buffers=512MB -c max_connections=200" -l "$PG_DIR/log" -w start >/dev/null
  PG_URL="postgres://postgres@127.0.0.1:$PG_PORT"
  PG_AS="$as"
}
stop_pg() { [ -n "${PG_DIR:-}" ] && $PG_AS pg_ctl -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1; rm -rf "$PG_DIR"; }
