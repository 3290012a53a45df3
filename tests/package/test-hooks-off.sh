#!/bin/sh
# test-hooks-off.sh KILOVENDCTL: a kilovendctl built without the test hooks
# (-Dtest_hooks=false, as the Debian package is) ignores them.
#
#   KILOVEND_NOW        must not date a sale or an audit row, nor end a
#                       lockout (in a test build it does all three);
#   KILOVEND_TEST_STOP  must not pause a sale (in a test build the sale
#                       stops itself with SIGSTOP and is killed here).
set -eu
K=$1
case $K in /*) ;; *) K=$(pwd)/$K ;; esac
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT INT TERM
cd "$d"
export KILOVEND_DB=$d/ledger.db KILOVEND_KEYS=$d/station.keys KILOVEND_USER=admin
export KILOVEND_PASSWORD=adminpass1 KILOVEND_PASSPHRASE=passphrase1 TZ=UTC
unset KILOVEND_NOW KILOVEND_TEST_STOP
run() {
    rc=0
    "$@" >"$d/out" 2>&1 || rc=$?
    [ $rc -eq 0 ] || { cat "$d/out" >&2; fail "$* (exit $rc)"; }
}
! "$K" --version | grep -q "test build" || fail "$K --version says it is a test build"
t0=$(date +%s)
run env KILOVEND_NOW=1000000000 "$K" init --utility-name Hooks --utility-code 77 --currency KES
run "$K" tariff add --code DEFAULT --block 10 --from 2020-01-01
run "$K" meter add --number 123456782 --hoarding 100 --alarm 5 --pretrip 2
run "$K" card blank c1.card
run "$K" --card-file c1.card card issue --meter 123456782
run "$K" shift open --float 0
# A stop point on the sale path: the sale goes through (a test build stops
# itself there and is killed after 60 s).
run env KILOVEND_TEST_STOP=sale-pending \
    timeout -s KILL 60 "$K" --card-file c1.card sell --meter 123456782 --amount 10
echo "ok   KILOVEND_TEST_STOP=sale-pending: the sale went through"
# A clock in 2001 (the tariff starts in 2020: a test build refuses the sale).
run env KILOVEND_NOW=1000000000 "$K" --card-file c1.card sell --meter 123456782 --amount 10
if command -v sqlite3 >/dev/null; then
    old=$(sqlite3 "$KILOVEND_DB" "SELECT (SELECT count(*) FROM sales WHERE created_at < $t0) +
                                         (SELECT count(*) FROM audit WHERE at < $t0)")
    [ "$old" = 0 ] || fail "KILOVEND_NOW dated $old sale or audit rows before the real time"
    echo "ok   KILOVEND_NOW=1000000000: the sale and every audit row carry the real time"
fi
# Five wrong passwords lock the admin out; a clock a day ahead does not end
# the lockout.
for i in 1 2 3 4 5; do
    if KILOVEND_PASSWORD=wrongwrong "$K" shift show >"$d/out" 2>&1; then
        fail "a wrong password signed in (try $i)"
    fi
done
if KILOVEND_NOW=$((t0 + 86400)) "$K" shift show >"$d/out" 2>&1; then
    fail "KILOVEND_NOW a day ahead ended the lockout"
fi
grep -q "locked out" "$d/out" || { cat "$d/out" >&2; fail "no lockout message"; }
echo "ok   KILOVEND_NOW a day ahead: the lockout holds"
