#!/bin/sh
# All benchmarks, one after the other (./kilovend.sh bench).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for b in "$here"/bench-*.sh; do
    [ -x "$b" ] || continue
    echo "#### $(basename "$b" .sh)"
    "$b"
done
