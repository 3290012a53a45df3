#!/bin/sh
# bench-core.sh - the station core's figures (docs/station.md, "Benchmarks").
#   tools/bench-core.sh [BUILD_DIR] [VOLUMES...]   default: build 1000000 10000000
set -eu
build=${1:-build}
if [ $# -gt 0 ]; then shift; fi
volumes=${*:-1000000 10000000}
dir=$(mktemp -d "${TMPDIR:-/var/tmp}/kv-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$build/tools/bench-core" rate "$dir/rate" 300
for n in $volumes; do
    "$build/tools/bench-core" volume "$dir/v$n" "$n"
    rm -rf "$dir/v$n"
done
