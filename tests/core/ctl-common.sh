# ctl-common.sh - sourced by the kilovendctl shell tests: a scratch
# directory (the working directory, removed on exit), the station's
# environment in it, and the checks that count failures in $fails.
#   expect CODE what command...   run command, its exit code must be CODE
#                                 (stdout in out.txt, stderr in err.txt)
#   has FILE PATTERN what         FILE must hold PATTERN
#   json KEY                      the first value of KEY in out.txt
#   station HOARDING [init opts]  a new station: the default tariff and
#                                 meter 123456782 (hoarding limit in kWh)
#   waitcard                      let the reader see a card inserted
#   users "LOGIN ROLE PASSWORD"...  add these users (as admin)
#   is WHAT GOT WANT              GOT must be WANT
K=${KILOVENDCTL:?}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
export KILOVEND_DB=$dir/ledger.db KILOVEND_KEYS=$dir/station.keys KILOVEND_USER=admin
export KILOVEND_PASSWORD=adminpass1 KILOVEND_PASSPHRASE=passphrase1 TZ=UTC
unset KILOVEND_TEST_STOP
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
expect() {
    want=$1; what=$2; shift 2
    "$@" >"$dir/out.txt" 2>"$dir/err.txt"
    got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$what: exit $got, expected $want"; cat "$dir/out.txt" "$dir/err.txt"
    else
        echo "ok: $what (exit $got)"
    fi
}
has() {
    grep -q "$2" "$1" || { fail "$3"; cat "$1"; }
}
json() { grep -o "\"$1\": *[^,}]*" "$dir/out.txt" | head -1 | sed 's/^[^:]*: *//; s/"//g'; }
station() {
    hoard=$1; shift
    expect 0 "init" $K init --utility-name "Lake Power" --utility-code 4711 --currency KES "$@"
    expect 0 "tariff" $K tariff add --code DEFAULT --block 10 --from 2020-01-01
    expect 0 "meter" $K meter add --number 123456782 --hoarding "$hoard" --alarm 5 --pretrip 2
}
waitcard() { sleep 2; }
is() {
    if [ "$2" = "$3" ]; then echo "ok: $1"; else fail "$1: got '$2', expected '$3'"; fi
}
users() {
    for u in "$@"; do
        set -- $u
        expect 0 "user $1 ($2)" env KILOVEND_NEW_PASSWORD="$3" $K user add "$1" --role "$2"
    done
}
