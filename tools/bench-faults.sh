#!/bin/sh
# bench-faults.sh - the long sweep of the fault schedule (docs/multi-office.md,
# "Fault tests"): RUNS seeded schedules of STEPS steps each, four stations of
# three offices, each on a fresh server; prints every seed and its result.
#   tools/bench-faults.sh [BUILD_DIR [RUNS [STEPS]]]   default: build 10 300
# A failing seed is repeated with
#   KV_FAULT_SEED=N KV_FAULT_STEPS=S meson test -C build central-faults
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
runs=${2:-10}
steps=${3:-300}
export KILOVENDCTL="$build/src/ctl/kilovendctl" KV_METER_SIM="$build/firmware/boards/host/kilovend-meter-sim"
export KV_REPUSH_ALL="$build/tests/central/repush-all"
export KV_CENTRAL_SQL="$here/../db/central" KV_PG_CONF="synchronous_commit = on"
for f in "$KILOVENDCTL" "$KV_METER_SIM" "$KV_REPUSH_ALL"; do
    [ -x "$f" ] || { echo "bench-faults.sh: $f is missing (meson compile -C $build)" >&2; exit 1; }
done
failed=0
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
    if KV_FAULT_SEED=$seed KV_FAULT_STEPS=$steps "$here/../tests/central/kv-pg-harness" \
        --stations "101:1 102:1 201:2 301:3" -- python3 "$here/../tests/central/fault_schedule.py" --quiet; then
        echo "run $i: seed $seed: ok"
    else
        echo "run $i: seed $seed: FAILED (KV_FAULT_SEED=$seed KV_FAULT_STEPS=$steps)"
        failed=$((failed + 1))
    fi
done
echo "$runs runs of $steps steps: $failed failed"
[ "$failed" -eq 0 ]
