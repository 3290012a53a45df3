#!/bin/sh
# test-keys-ctl.sh - kilovendctl with the master keys in a PKCS#11 token
# (SoftHSM2, its configuration and token folder in the scratch directory):
# the key file migrated in one command, key status, sales, a wrong PIN,
# keyload files between two stations, the holdings report; and the attack
# "token removed mid-sale" (stop point sale-pending: a test build).
. "$(dirname "$0")/../core/ctl-common.sh"
M=${KV_PKCS11_MODULE:?}
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$dir" >softhsm2.conf
export SOFTHSM2_CONF=$dir/softhsm2.conf
for t in st-a st-b st-c; do
    softhsm2-util --init-token --free --label $t --pin 1234 --so-pin 5678 >/dev/null ||
        fail "token $t"
done

station 100
expect 0 "blank card" $K card blank c1.card
expect 0 "issue" $K --card-file c1.card card issue --meter 123456782
expect 0 "shift" $K shift open --float 50
expect 0 "sale on the key file" $K --card-file c1.card sell --meter 123456782 --amount 10
expect 0 "holdings on the key file" $K key holdings
has out.txt "file    1 " "the key file station holds version 1"
cp station.keys keyfile.copy   # the key custodian's copy
expect 2 "migrate needs a module and a token" $K key migrate --token st-a
expect 6 "migrate with a wrong PIN" env KILOVEND_PIN=0000 $K key migrate --module "$M" --token st-a
has station.keys KVKEYS01 "the key file stays after a refused migration"
expect 0 "migrate" env KILOVEND_PIN=1234 $K key migrate --module "$M" --token st-a
has station.keys '^\[kilovend-token\]' "the key path names the token"
grep -q KVKEYS01 station.keys && fail "the key file is gone"
[ -e station.keys.token ] && fail "no descriptor left behind"
expect 6 "the passphrase is no PIN" $K key status
export KILOVEND_PASSPHRASE=1234   # the PIN, where the passphrase went
expect 0 "key status" $K --json key status
[ "$(json backend)" = pkcs11 ] || fail "backend: $(json backend)"
[ "$(json current)" = 1 ] || fail "current: $(json current)"
expect 0 "sale on the token" $K --card-file c1.card sell --meter 123456782 --amount 10
expect 0 "card read on the token" $K --card-file c1.card card read
has out.txt "sale" "the card shows its sales"

# A wrong PIN: refused (exit 6), counted by the token, not as a failed login.
for i in 1 2 3 4 5 6; do
    expect 6 "wrong PIN $i" env KILOVEND_PASSPHRASE=999999 $K key status
done
has err.txt "PIN" "the error names the PIN"
[ "$(sqlite3 ledger.db "SELECT failed_logins FROM users WHERE login = 'admin'")" = 0 ] ||
    fail "a wrong PIN was counted against the admin"
expect 0 "right PIN" $K key status

# Attack: the token removed mid-sale (its storage gone while the sale waits
# at sale-pending): the sale stops before the card is touched, stays
# pending, and settles as failed (nothing due) once the token is back.
cp c1.card before.card
KILOVEND_TEST_STOP=sale-pending $K --card-file c1.card sell --meter 123456782 --amount 10 \
    >out.txt 2>err.txt &
pid=$!
n=0
while [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" != T ] && [ $n -lt 100 ]; do
    sleep 0.1; n=$((n + 1))
done
mv tokens tokens.gone
kill -CONT $pid
wait $pid
rc=$?
[ $rc -eq 11 ] || { fail "/keys/attack/token-removed-mid-sale: exit $rc, expected 11"; cat err.txt; }
echo "ok: /keys/attack/token-removed-mid-sale: the sale stopped (exit $rc)"
has err.txt "PKCS#11" "the error says the token failed"
cmp -s c1.card before.card || fail "/keys/attack/token-removed-mid-sale: the card was written without the token"
last=$(sqlite3 ledger.db "SELECT id || ' ' || state FROM sales ORDER BY id DESC LIMIT 1")
[ "${last#* }" = pending ] || fail "the sale is $last, expected pending"
mv tokens.gone tokens
expect 0 "card read with the token back" $K --card-file c1.card card read
[ "$(sqlite3 ledger.db "SELECT state FROM sales WHERE id = ${last% *}")" = failed ] ||
    fail "the interrupted sale did not settle as failed"
expect 0 "sale after the token is back" $K --card-file c1.card sell --meter 123456782 --amount 10

# Keyload: the custodian makes version 2 for station A's token only.
expect 0 "request" $K key request --out a.pem
has a.pem "BEGIN PUBLIC KEY" "a public key"
expect 0 "custodian rotates its copy" env KILOVEND_KEYS=keyfile.copy KILOVEND_PASSPHRASE=passphrase1 \
    $K key rotate
expect 0 "keyload for A" env KILOVEND_KEYS=keyfile.copy KILOVEND_PASSPHRASE=passphrase1 \
    $K key keyload --version 2 --utility-code 4711 --station-key a.pem --out a.kvload
expect 0 "load at A" $K --json key load a.kvload
[ "$(json version)" = 2 ] || fail "loaded version $(json version)"
[ "$(json current)" = 1 ] || fail "a staged version became current"
expect 0 "holdings" $K key holdings
has out.txt "pkcs11  1,2" "the station holds 1 and 2"

# Station B (its own ledger and token): A's keyload file does not import.
(
    fails=0  # counted again by the parent
    export KILOVEND_DB=$dir/b.db KILOVEND_KEYS=$dir/b.keys KILOVEND_PASSPHRASE=passphrase1
    expect 0 "init B" $K init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 2
    expect 0 "migrate B" env KILOVEND_PIN=1234 $K key migrate --module "$M" --token st-b
    export KILOVEND_PASSPHRASE=1234
    expect 0 "request B" $K key request --out b.pem
    expect 7 "/keys/attack/keyload-other-station (ctl): A's keyload at B" $K key load a.kvload
    has err.txt "another station" "the refusal says why"
    [ "$(sqlite3 b.db "SELECT count(*) FROM audit WHERE action = 'keys.load.refused'")" = 1 ] ||
        fail "the refusal is not in B's audit log"
    exit $fails
) || fails=$((fails + $?))
# Station C, new, on an empty token: its first keys come in a keyload file.
(
    fails=0
    export KILOVEND_DB=$dir/c.db KILOVEND_KEYS=$dir/c.keys KILOVEND_PASSPHRASE=1234
    expect 0 "descriptor for C" $K key token --module "$M" --token st-c
    expect 5 "never over a descriptor" $K key token --module "$M" --token st-c
    expect 0 "init C on the token" $K init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 3
    expect 0 "request C" $K key request --out c.pem
    expect 0 "keyload for C" env KILOVEND_KEYS=keyfile.copy KILOVEND_PASSPHRASE=passphrase1 \
        $K key keyload --version 2 --utility-code 4711 --station-key c.pem --out c.kvload --current
    expect 0 "load at C" $K --json key load c.kvload
    [ "$(json current)" = 2 ] || fail "C's first version is not current"
    expect 0 "tariff C" $K tariff add --code DEFAULT --block 10 --from 2020-01-01
    expect 0 "meter C" $K meter add --number 111111118 --hoarding 100 --alarm 5 --pretrip 2
    expect 0 "blank C" $K card blank c3.card
    expect 0 "issue C" $K --card-file c3.card card issue --meter 111111118
    expect 0 "shift C" $K shift open --float 0
    expect 0 "sale at C" $K --card-file c3.card sell --meter 111111118 --amount 10
    exit $fails
) || fails=$((fails + $?))
[ $fails -eq 0 ] && echo "all passed"
exit $fails
