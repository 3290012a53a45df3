#!/bin/sh
# bench-keys.sh - time per sale spent on key derivation: the key file
# against a PKCS#11 token (SoftHSM2 in a folder of its own); docs/keys.md.
#   tools/bench-keys.sh [BUILD_DIR] [SALES]   default: build 200
set -eu
build=${1:-build}
n=${2:-200}
module=${KV_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
dir=$(mktemp -d "${TMPDIR:-/var/tmp}/kv-bench-keys.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$build/tools/bench-core" keys "$dir/file" "$n"
mkdir "$dir/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$dir" >"$dir/softhsm2.conf"
export SOFTHSM2_CONF="$dir/softhsm2.conf"
softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 12345678 >/dev/null
"$build/tools/bench-core" keys "$dir/token" "$n" "$module"
