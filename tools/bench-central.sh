#!/bin/sh
# bench-central.sh - head office figures (docs/multi-office.md, "Benchmarks"):
# catch-up after a day offline, N waiting sales pushed in batches over TLS
# to a private PostgreSQL 15, then another station's pull.
#   tools/bench-central.sh [BUILD_DIR] [SALES...]   default: build 1000 10000
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
if [ $# -gt 0 ]; then shift; fi
volumes=${*:-1000 10000}
[ -x "$build/tests/central/bench-central" ] ||
    { echo "bench-central.sh: build first (meson compile -C $build)" >&2; exit 1; }
for n in $volumes; do
    KV_CENTRAL_SQL="$here/../db/central" "$here/../tests/central/kv-pg-harness" -- \
        "$build/tests/central/bench-central" "$n" "${KV_BENCH_BATCH:-500}"
done
