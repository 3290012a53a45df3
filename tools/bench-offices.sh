#!/bin/sh
# bench-offices.sh - two offices' sync figures (docs/multi-office.md,
# "Benchmarks"), on a private PostgreSQL 15 with two stations of two offices
# linked through proxies:
#   catch-up after a day offline: N real sales wait at one station (made by
#     bench-sync-sell on a card file), then the seconds of its `sync --once`
#     (push) and of the other office's `sync --once` (pull);
#   steady state: `sync --daemon --interval S` running, sales at random
#     moments, the time from each sale to its row at the centre.
#   tools/bench-offices.sh [BUILD_DIR]
# KV_BENCH_VOLUMES (default "1000 10000"), KV_BENCH_INTERVAL (5 s), KV_BENCH_BATCH
# (audit rows per push batch, 500 as the client's default),
# KV_BENCH_LAG (20 sales).  The fault sweep is tools/bench-faults.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
export KILOVENDCTL="$build/src/ctl/kilovendctl" KV_METER_SIM="$build/firmware/boards/host/kilovend-meter-sim"
export KV_BENCH_SELL="$build/tools/bench-sync-sell" KV_CENTRAL_SQL="$here/../db/central"
export KV_REPUSH_ALL="$build/tests/central/repush-all"
for f in "$KILOVENDCTL" "$KV_METER_SIM" "$KV_BENCH_SELL"; do
    [ -x "$f" ] || { echo "bench-offices.sh: $f is missing (meson compile -C $build)" >&2; exit 1; }
done
exec "$here/../tests/central/kv-pg-harness" --stations "101:1 201:2" -- \
    python3 "$here/../tests/central/fault_schedule.py" --bench
