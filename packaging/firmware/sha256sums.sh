#!/bin/sh
# sha256sums.sh OUTPUT FILE...: a SHA256SUMS file for the firmware images,
# with bare file names, so `sha256sum -c SHA256SUMS` works where the images
# are (the release directory, /usr/lib/kilovend/firmware).
set -eu
out=$1
shift
: >"$out.tmp"
for f in "$@"; do
    (cd "$(dirname "$f")" && sha256sum -- "$(basename "$f")") >>"$out.tmp"
done
sort -k2 "$out.tmp" >"$out"
rm -f "$out.tmp"
