#!/bin/sh
# fuzz-campaign.sh: the fuzzing campaign (not part of the suite).
#
#   tools/fuzz-campaign.sh [-r RUNS] [-j JOBS] [-t SECONDS] [-b BUILD] [-w WORK]
#                          [-c] [-n] [TARGET...]
#
# Runs every libFuzzer target of tests/fuzz/targets (or the ones named) under
# ASan + UBSan for at least RUNS executions each (default 10,000,000), from
# the corpus kept in tests/fuzz/corpus/TARGET into a scratch corpus, then
# merges both into a minimised corpus (libFuzzer -merge=1) and writes it back
# to tests/fuzz/corpus/TARGET, which the suite replays.  Prints a table:
# executions, seconds, exec/s, minimised corpus (files, KiB), crashes.
#
#   -r RUNS     executions per target (default 10000000, or KV_FUZZ_RUNS)
#   -j JOBS     fuzzing processes per target (libFuzzer -fork=JOBS; default 1).
#               -j 2 uses both cores of a 2-core machine.
#   -t SECONDS  stop a target after this long even if RUNS is not reached;
#               the executions done are kept, and -c continues later
#   -c          continue: count the executions of earlier (partial) runs of
#               each target kept in WORK, start from their scratch corpus,
#               and run only what is missing to reach RUNS.  With -r 0: no
#               more fuzzing, only the merge, write-back and table of what
#               the earlier runs did
#   -b BUILD    the campaign's build (default build-fuzz, set up if missing:
#               clang, ASan + UBSan, -O2 -g, -Dfuzz=true)
#   -w WORK     scratch corpus, logs and crash inputs, outside the tree
#               (default /var/tmp/kilovend-fuzz)
#   -n          do not write the minimised corpus back into the tree
#
# The fuzzers run under `nice -n 10` (KV_FUZZ_NICE).  A crash, a timeout
# (10 s per input) or an out-of-memory does not stop the campaign: each is
# counted and its input kept in WORK/TARGET/crashes, printed at the end.  The
# command exits 1 if any target crashed.  A crash input is reproduced with
# BUILD/tests/fuzz/fuzz-TARGET FILE; once the bug is fixed, copy it into
# tests/fuzz/corpus/TARGET as regress-WHAT: every later merge keeps it, and
# the suite replays it (fuzz-replay-TARGET).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${KV_FUZZ_RUNS:-10000000}
jobs=1
max_time=0
build=$top/build-fuzz
work=/var/tmp/kilovend-fuzz
cont=0
write_back=1
while getopts r:j:t:b:w:cn opt; do
    case $opt in
    r) runs=$OPTARG ;;
    j) jobs=$OPTARG ;;
    t) max_time=$OPTARG ;;
    b) build=$OPTARG ;;
    w) work=$OPTARG ;;
    c) cont=1 ;;
    n) write_back=0 ;;
    *) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))

table=$top/tests/fuzz/targets
all=$(awk '!/^#/ && NF { print $1 }' "$table")
targets=${*:-$all}
for t in $targets; do
    echo "$all" | grep -qx -- "$t" || { echo "fuzz-campaign: no target $t (see $table)" >&2; exit 2; }
done

# Minimised corpora stay small: a corpus over these limits is not written
# back (it would grow the repository with every campaign).
MAX_FILES=400
MAX_KIB=512

if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" -Db_sanitize=address,undefined -Db_lundef=false \
        -Dgui=disabled -Dfuzz=true --buildtype=debugoptimized \
        -Dc_args=-fno-sanitize-recover=all >"$work.setup.log" 2>&1 ||
        { cat "$work.setup.log"; exit 1; }
    rm -f "$work.setup.log"
fi
# A target added since the last build is known once build.ninja is regenerated.
ninja -C "$build" build.ninja >/dev/null
# shellcheck disable=SC2046
nice -n "${KV_FUZZ_NICE:-10}" meson compile -C "$build" \
    $(for t in $targets; do echo "tests/fuzz/fuzz-$t"; done) >/dev/null

export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
mkdir -p "$work"

# The last status line of a fork-mode run:
#   #N: cov: C ft: F corp: K exec/s E oom/timeout/crash: O/T/X time: Ss job: J
last_status() {
    grep -E '^#[0-9]+: cov:' "$1" | tail -n 1
}

summary=$work/summary
: >"$summary"
failed=0
for t in $targets; do
    fuzzer=$build/tests/fuzz/fuzz-$t
    kept=$top/tests/fuzz/corpus/$t
    maxlen=$(awk -v n="$t" '$1 == n { print $2 }' "$table")
    w=$work/$t
    if [ "$cont" = 0 ]; then
        rm -rf "$w"
    fi
    mkdir -p "$w/scratch" "$w/crashes" "$kept"
    done_runs=$(cat "$w/runs" 2>/dev/null || echo 0)
    done_secs=$(cat "$w/seconds" 2>/dev/null || echo 0)
    done_crashes=$(cat "$w/crashed" 2>/dev/null || echo 0)
    left=$((runs - done_runs))
    if [ "$left" -gt 0 ]; then
        echo "$t: $left executions (of $runs) with $jobs job(s), max_len $maxlen, log $w/log" >&2
        start=$(date +%s)
        set -- -fork="$jobs" -runs="$left" -max_len="$maxlen" -timeout=10 \
            -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
            -artifact_prefix="$w/crashes/"
        [ "$max_time" -gt 0 ] && set -- "$@" -max_total_time="$max_time"
        nice -n "${KV_FUZZ_NICE:-10}" "$fuzzer" "$@" "$w/scratch" "$kept" >"$w/log" 2>&1 || true
        secs=$(($(date +%s) - start))
        st=$(last_status "$w/log")
        n=$(echo "$st" | sed -n 's/^#\([0-9]*\):.*/\1/p')
        bad=$(echo "$st" | sed -n 's|.*oom/timeout/crash: \([0-9]*\)/\([0-9]*\)/\([0-9]*\).*|\1 \2 \3|p')
        [ -n "$n" ] || { tail -n 20 "$w/log"; echo "fuzz-campaign: $t did not run" >&2; exit 1; }
        # shellcheck disable=SC2086
        set -- $bad
        echo $((done_runs + n)) >"$w/runs"
        echo $((done_secs + secs)) >"$w/seconds"
        echo $((done_crashes + ${1:-0} + ${2:-0} + ${3:-0})) >"$w/crashed"
    fi
    total=$(cat "$w/runs" 2>/dev/null || echo 0)
    secs=$(cat "$w/seconds" 2>/dev/null || echo 0)
    crashes=$(cat "$w/crashed" 2>/dev/null || echo 0)

    # Minimise: the smallest set of inputs (kept and new) with every feature.
    rm -rf "$w/min"
    mkdir -p "$w/min"
    "$fuzzer" -merge=1 -max_len="$maxlen" -timeout=10 "$w/min" "$kept" "$w/scratch" \
        >"$w/merge.log" 2>&1 || { tail -n 20 "$w/merge.log"; exit 1; }
    files=$(find "$w/min" -type f | wc -l)
    kib=$(( ($(find "$w/min" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }') + 1023) / 1024 ))
    note=
    if [ "$files" -gt "$MAX_FILES" ] || [ "$kib" -gt "$MAX_KIB" ]; then
        note="not written back: over $MAX_FILES files or $MAX_KIB KiB"
    elif [ "$write_back" = 1 ]; then
        # Regression inputs (files named regress-*) stay even if the merge finds them
        # redundant: they are the record of a bug that was fixed.
        find "$kept" -maxdepth 1 -type f -name 'regress-*' -exec cp {} "$w/min/" \;
        find "$kept" -maxdepth 1 -type f ! -name 'regress-*' -delete
        cp "$w/min"/* "$kept/" 2>/dev/null || true
    fi
    [ "$crashes" -eq 0 ] || failed=1
    echo "$t $total $secs $files $kib $crashes $note" >>"$summary"
done

printf '\n%-12s %12s %8s %9s %13s %8s\n' target executions seconds "exec/s" "corpus" crashes
awk '{ rate = $3 > 0 ? $2 / $3 : 0
       note = ""; for (i = 7; i <= NF; i++) note = note " " $i
       printf "%-12s %12d %8d %9.0f %5d f %4d KiB %8d%s\n", $1, $2, $3, rate, $4, $5, $6, note
       e += $2; c += $6 }
     END { printf "total: %d executions, %d crashes (ASan + UBSan)\n", e, c }' "$summary"
for t in $targets; do
    for f in "$work/$t/crashes"/*; do
        [ -f "$f" ] && echo "crash input: $f"
    done
done
exit "$failed"
