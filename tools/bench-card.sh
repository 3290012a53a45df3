#!/bin/sh
# bench-card.sh - costs of the card operations through the real PC/SC stack
# (pcscd, vpcd, kilovend-vcard), twice: with the virtual card answering at
# once, then with --realistic-timing (50 kHz clock, 2.5 ms per byte written),
# which shows what a physical SLE4442 takes.  Needs root (private pcscd).
#   tools/bench-card.sh [BUILD_DIR] [RUNS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
runs=${2:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
env=$top/tests/pcsc/kv-pcsc-env
vcard=$build/src/vcard/kilovend-vcard
bench=$build/tools/kilovend-bench-card

echo "== Card operations, virtual card answering at once ($runs runs)"
"$env" --vcard "$vcard" --new "$tmp/fast.card" -- "$bench" "$runs"
echo
echo "== Same with --realistic-timing (the time a physical card takes)"
"$env" --vcard "$vcard" --vcard-arg --realistic-timing --new "$tmp/slow.card" -- "$bench" 5
echo
echo "card wr ms: written bytes x 2.5 ms (datasheet erase+write); station us: CPU of"
echo "the station's own work (keys, sealing, decoding, report), card I/O excluded."
