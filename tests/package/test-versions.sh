#!/bin/sh
# test-versions.sh BUILD_ROOT VERSION: every program the build installs
# answers --version with the project version (meson.build's `version:`, the
# one source of truth) and exits 0.  The list comes from the build itself, so
# a new program is checked as soon as it is installable.
set -eu
build=$1
version=$2
progs=$(meson introspect "$build" --targets | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["installed"]:
        print(t["filename"][0])')
[ -n "$progs" ] || { echo "FAIL: the build installs no program" >&2; exit 1; }
fails=0
for p in $progs; do
    name=$(basename "$p")
    # "NAME VERSION", optionally followed by details: "kilovendctl 0.2.0 (schema 3)".
    if out=$("$p" --version </dev/null 2>&1) &&
        printf '%s\n' "$out" | head -n 1 | grep -Eq "^$name $(printf '%s' "$version" | sed 's/\./\\./g')( |\$)"; then
        echo "ok   $name --version: $out"
    else
        echo "FAIL $name --version printed '$out', want '$name $version'" >&2
        fails=$((fails + 1))
    fi
done
exit "$fails"
