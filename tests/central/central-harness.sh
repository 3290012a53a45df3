#!/bin/sh
# central-harness.sh - the harness itself: it passes the command's exit
# status on, removes its folder and stops its server however the command
# ends (failure, SIGTERM as on a test timeout), and says what is missing.
set -eu
harness=$(cd "$(dirname "$0")" && pwd)/kv-pg-harness
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() {
    echo "central-harness: FAIL: $*" >&2
    exit 1
}
gone() { # gone DIR: no folder, no server on it
    [ ! -e "$1" ] || fail "$1 was left behind"
    ! pgrep -f -- "-D $1/data" >/dev/null || fail "a server on $1 is still running"
}

# A failing command: its status comes back, nothing stays.
set +e
"$harness" --stations "101:1" -- sh -c 'echo "$KV_PG_DIR" >"$0"; exit 7' "$out/dir1" 2>"$out/err1"
rc=$?
set -e
[ "$rc" = 7 ] || fail "exit status $rc, expected 7"
gone "$(cat "$out/dir1")"
echo "ok - failing command: status kept, server stopped, folder removed"

# Killed while the command runs.
"$harness" --stations "101:1" -- sh -c 'echo "$KV_PG_DIR" >"$0"; exec sleep 60' "$out/dir2" 2>/dev/null &
pid=$!
i=0
while [ ! -s "$out/dir2" ]; do
    i=$((i + 1))
    [ "$i" -lt 300 ] || fail "the harness did not start"
    sleep 0.1
done
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" = 143 ] || fail "killed: exit status $rc, expected 143"
gone "$(cat "$out/dir2")"
echo "ok - killed: server stopped, folder removed"

# Something missing: a clear message naming the package.
set +e
KV_PG_BIN=/nonexistent "$harness" -- true 2>"$out/err3"
rc=$?
set -e
[ "$rc" != 0 ] || fail "ran without a server"
grep -q "install postgresql-15" "$out/err3" || fail "unclear message: $(cat "$out/err3")"
echo "ok - missing server: $(cat "$out/err3")"
