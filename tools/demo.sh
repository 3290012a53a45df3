#!/bin/sh
# The demo behind `./kilovend.sh run`.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
exec "$top/build/tools/kilovend-contract-demo" "$@"
