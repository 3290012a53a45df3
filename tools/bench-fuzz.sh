#!/bin/sh
# bench-fuzz.sh [BUILD_SAN_DIR] [RUNS]: every libFuzzer target of the
# sanitizer build (ASan + UBSan, -Dfuzz=true) for RUNS executions each
# (default 20000, or KV_FUZZ_RUNS), from the kept corpus; prints the
# executions, the time, the rate and the crashes found.  A crash stops that
# fuzzer (libFuzzer's rule) and its input is kept in the printed folder.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
san=${1:-$top/build-san}
runs=${2:-${KV_FUZZ_RUNS:-20000}}
if [ ! -f "$san/build.ninja" ]; then
    CC=clang meson setup "$san" -Db_sanitize=address,undefined -Db_lundef=false \
        -Dgui=disabled -Dfuzz=true --buildtype=debug -Dc_args=-fno-sanitize-recover=all >/dev/null
fi
meson compile -C "$san" >/dev/null
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
keep=$(mktemp -d /tmp/kv-fuzz-XXXXXX)
total_runs=0 total_crashes=0
printf '%-22s %12s %9s %10s %8s\n' fuzzer executions seconds "exec/s" crashes
for f in "$san"/tests/fuzz/fuzz-*; do
    [ -x "$f" ] && [ -f "$f" ] || continue
    name=$(basename "$f")
    corpus=$top/tests/fuzz/corpus/${name#fuzz-}
    # the longest input each target reads (tests/fuzz/targets)
    maxlen=$(awk -v n="${name#fuzz-}" '$1 == n { print $2 }' "$top/tests/fuzz/targets")
    [ -n "$maxlen" ] || continue
    work=$keep/$name
    mkdir -p "$work/new"
    start=$(date +%s.%N)
    crashes=0
    "$f" -runs="$runs" -seed=1 -max_len="$maxlen" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$work/" "$work/new" "$corpus" >"$work/log" 2>&1 || crashes=1
    end=$(date +%s.%N)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
    [ -n "$execs" ] || execs=0
    awk -v n="$name" -v e="$execs" -v s="$start" -v t="$end" -v c="$crashes" \
        'BEGIN { printf "%-22s %12d %9.1f %10.0f %8d\n", n, e, t - s, e / (t - s), c }'

    [ "$crashes" -eq 0 ] || echo "    crash input and log kept in $work"
    total_runs=$((total_runs + execs))
    total_crashes=$((total_crashes + crashes))
    [ "$crashes" -eq 0 ] && rm -rf "$work"
done
echo "total: $total_runs executions, $total_crashes crashes (ASan + UBSan)"
rmdir "$keep" 2>/dev/null || true
