#!/usr/bin/env bash
# Everything BENCHMARKS.md records, in one run on one machine:
# the askbot reference, then guildhall on SQLite and PostgreSQL.
#   bench/all.sh 2>&1 | tee /tmp/bench.txt
source "$(dirname "$0")/lib.sh"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "date: $(date -u +%F)  wrk -t2 -c$CONNS -d$DURATION, median of $RUNS runs"
# Build first: the scripts then use this binary even if sources change.
cargo build --release -q -p guildhall
export BENCH_NO_BUILD=1
bash "$BENCH_DIR/askbot.sh"
bash "$BENCH_DIR/run.sh"
