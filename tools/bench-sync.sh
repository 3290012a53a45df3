#!/bin/sh
# bench-sync.sh - the station side's catch-up (docs/multi-office.md, "The
# station side"): a ledger with N waiting sales (bench-core volume: each a
# sale with its pending and completed audit rows, five records) synced by
# `kilovendctl sync --once` over TLS to a private PostgreSQL 15; then
# another station's first round (it pulls every meter's state) and a round
# with nothing waiting.  Prints wall-clock seconds and the sync process's
# own CPU.
#   tools/bench-sync.sh [BUILD_DIR] [SALES...]   default: build 1000 10000
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
if [ $# -gt 0 ]; then shift; fi
volumes=${*:-1000 10000}
for p in tools/bench-core src/ctl/kilovendctl; do
    [ -x "$build/$p" ] || { echo "bench-sync.sh: build first (meson compile -C $build)" >&2; exit 1; }
done
export BENCH_BUILD=$build
for n in $volumes; do
    BENCH_SALES=$n KV_CENTRAL_SQL="$here/../db/central" "$here/../tests/central/kv-pg-harness" \
        --stations "1:1 2:2" -- sh -c '
    set -eu
    K=$BENCH_BUILD/src/ctl/kilovendctl
    d=$(mktemp -d)
    trap "rm -rf $d" EXIT
    "$BENCH_BUILD/tools/bench-core" volume "$d" "$BENCH_SALES" >/dev/null
    printf "[head-office]\nhost = %s\nport = %s\ndbname = %s\npki = %s\nbatch = 1000\n" \
        "$KV_PG_HOST" "$KV_PG_PORT" "$KV_PG_DB" "$KV_PG_PKI" >"$d/sync.conf"
    round() { # round WHAT DB
        /usr/bin/time -f "%e %U" -o "$d/t" "$K" --db "$2" --quiet sync --once --config "$d/sync.conf"
        echo "$BENCH_SALES sales: $1: $(cut -d" " -f1 "$d/t") s (sync process CPU $(cut -d" " -f2 "$d/t") s)"
    }
    round "catch-up (push and pull)" "$d/bench.db"
    KILOVEND_PASSWORD=benchpass1 KILOVEND_PASSPHRASE=benchpass1 "$K" --db "$d/two.db" --keys "$d/two.keys" \
        --quiet init --utility-name Bench --utility-code 4711 --currency KES --office 2 --station 2
    round "another station'"'"'s first round" "$d/two.db"
    round "a round with nothing waiting" "$d/bench.db"
    echo "$BENCH_SALES sales: records at head office: $(psql -X -tA -c "SELECT (SELECT count(*) FROM kv.sales) + (SELECT count(*) FROM kv.sale_states) + (SELECT count(*) FROM kv.audit)")"
    '
done
