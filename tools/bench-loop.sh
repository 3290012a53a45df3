#!/bin/sh
# bench-loop.sh [BUILD_DIR] [RUNS]: the whole loop per sale - sale through
# pcscd into the virtual card, load in the meter simulator, card read back at
# the station - with the card bytes each side writes (tests/e2e/bench-loop.py
# inside a private pcscd: needs root).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
# absolute: the loop runs in its own working directory
build=$(cd "$build" && pwd) || { echo "bench-loop: no build directory $1"; exit 1; }
runs=${2:-10}
ctl=$build/src/ctl/kilovendctl
if [ ! -x "$ctl" ]; then
    echo "bench-loop: $ctl is not built (the station's command line is needed)"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$top/tests/pcsc/kv-pcsc-env" --vcard "$build/src/vcard/kilovend-vcard" --vcard-arg -v --new "$work/user.card" -- \
    /usr/bin/python3 "$top/tests/e2e/bench-loop.py" "$ctl" \
    "$build/firmware/boards/host/kilovend-meter-sim" "$work" "$runs"
