#!/bin/sh
# test-ctl.sh - kilovendctl end to end on a card file: exit codes for bad
# input, JSON output, and a sale on a full disk (a tiny tmpfs) that leaves
# neither the card nor the ledger half done.
set -u
# As root, run in a private mount namespace so the tmpfs is ours alone.
if [ "$(id -u)" -eq 0 ] && [ -z "${KV_UNSHARED:-}" ] && command -v unshare >/dev/null 2>&1; then
    KV_UNSHARED=1 exec unshare -m sh "$0" "$@"
fi
. "$(dirname "$0")/ctl-common.sh"
trap 'umount "$dir/full" 2>/dev/null; rm -rf "$dir"' EXIT
expect 0 "init" $K init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 2
expect 5 "init refuses an existing database" $K init --utility-name X --utility-code 1 --currency KES
expect 0 "tariff" $K tariff add --code DEFAULT --block 10 --from 2020-01-01
expect 0 "meter" $K meter add --number 123456782 --hoarding 100 --alarm 5 --pretrip 2
expect 3 "bad check digit" $K meter add --number 123456789 --hoarding 100 --alarm 5 --pretrip 2
expect 5 "duplicate meter" $K meter add --number 123456782 --hoarding 100 --alarm 5 --pretrip 2
expect 0 "blank card" $K card blank c1.card
expect 0 "issue" $K --card-file c1.card card issue --meter 123456782
expect 5 "second card for the meter" sh -c "$K card blank c2.card && $K --card-file c2.card card issue --meter 123456782"
expect 19 "sell without a shift" $K --card-file c1.card sell --meter 123456782 --amount 10
expect 0 "shift" $K shift open --float 50
expect 3 "zero amount" $K --card-file c1.card sell --meter 123456782 --amount 0
expect 3 "negative amount" $K --card-file c1.card sell --meter 123456782 --amount -5
expect 3 "amount too large" $K --card-file c1.card sell --meter 123456782 --amount 99999999
expect 10 "above hoarding" $K --card-file c1.card sell --meter 123456782 --kwh 100.01
expect 2 "both amount and kwh" $K --card-file c1.card sell --meter 123456782 --amount 1 --kwh 1
expect 6 "wrong password" env KILOVEND_PASSWORD=wrongwrong $K shift show
expect 8 "wrong passphrase" env KILOVEND_PASSPHRASE=nope $K --card-file c1.card sell --meter 123456782 --amount 10
expect 0 "sell" $K --json --card-file c1.card sell --meter 123456782 --amount 10
grep -q '"state":"completed"' out.txt || { echo "FAIL: JSON sale"; fails=$((fails + 1)); }
grep -q '"energy_ckwh":100' out.txt || { echo "FAIL: JSON energy"; fails=$((fails + 1)); }
expect 0 "add cashier" env KILOVEND_NEW_PASSWORD=cashierpw1 $K user add carol --role cashier
expect 7 "cashier cannot unlock keys alone" env KILOVEND_USER=carol KILOVEND_PASSWORD=cashierpw1 $K --card-file c1.card card read
expect 7 "cashier cannot add a meter" env KILOVEND_USER=carol KILOVEND_PASSWORD=cashierpw1 $K meter add --number 222222226 --hoarding 100 --alarm 5 --pretrip 2
expect 0 "cashier reads with a supervisor's unlock" env KILOVEND_USER=carol KILOVEND_PASSWORD=cashierpw1 KILOVEND_SUPERVISOR_PASSWORD=adminpass1 $K --supervisor admin --card-file c1.card card read
expect 0 "audit verify" $K audit verify
expect 0 "backup" $K backup "$dir/backup.db"
expect 0 "report" $K report shift --csv "$dir/z.csv"
# Tariff versions: listed newest first, the one in force marked.
expect 0 "tariff version" $K tariff add --code DEFAULT --block 50:8 --block 12 --vat 16 --from 2021-01-01
expect 0 "tariff scheduled" $K tariff add --code DEFAULT --block 11 --from 2999-01-01
expect 0 "second tariff code" $K tariff add --code COM --block 15 --from 2022-06-01 --name Shops
expect 0 "tariff list" $K tariff list
grep -q '^\* tariff DEFAULT (id 2) from 2021-01-01' out.txt &&
    grep -q '^  tariff DEFAULT (id 3) from 2999-01-01' out.txt && grep -q '^COM$' out.txt ||
    { echo "FAIL: tariff list"; cat out.txt; fails=$((fails + 1)); }
expect 0 "tariff list (JSON)" $K --json tariff list
grep -q '^\[{"code":"COM","versions":\[{"id":4,"name":"Shops",[^}]*"in_force":true' out.txt &&
    grep -q '"code":"DEFAULT","versions":\[{"id":3,[^}]*"in_force":false' out.txt &&
    grep -q '{"id":2,[^}]*"in_force":true,"vat_bp":1600,[^]]*"blocks":\[{"upto_kwh":"50.00","price":"8.000000"},{"upto_kwh":null' out.txt ||
    { echo "FAIL: JSON tariff list"; cat out.txt; fails=$((fails + 1)); }
expect 0 "version" $K --version
expect 2 "unknown command" $K frobnicate
sqlite3 "$KILOVEND_DB" "UPDATE sales SET amount = amount + 100, energy_net = energy_net + 100"
expect 17 "audit detects an edited sale" $K audit verify

# A newer database.
cp "$KILOVEND_DB" newer.db
sqlite3 newer.db "PRAGMA user_version = 42"
expect 15 "database from a newer version" $K --db newer.db shift show

# Disk full: the ledger on a tiny tmpfs, filled up; the sale must fail before
# the card is touched, with nothing pending.
if [ "$(id -u)" -eq 0 ] && mkdir -p full && mount -t tmpfs -o size=1M tmpfs full 2>/dev/null; then
    cp "$dir/backup.db" full/ledger.db
    sqlite3 full/ledger.db "UPDATE sales SET amount = amount" >/dev/null
    cp c1.card before.card
    # Fill the disk, then free just enough for the database to open.
    dd if=/dev/zero of=full/filler bs=4k 2>/dev/null
    rm -f full/filler
    dd if=/dev/zero of=full/filler bs=4k count=$(( $(df -k --output=avail full | tail -1) / 4 - 9 )) 2>/dev/null
    expect 13 "sale on a full disk" env KILOVEND_DB=full/ledger.db $K --card-file c1.card sell --meter 123456782 --amount 10
    grep -q "disk is full" err.txt || { echo "FAIL: disk full message"; cat err.txt; fails=$((fails + 1)); }
    cmp -s c1.card before.card || { echo "FAIL: the card changed on a full disk"; fails=$((fails + 1)); }
    rm -f full/filler
    n=$(sqlite3 full/ledger.db "SELECT count(*) FROM sales WHERE state IN ('pending','written')")
    [ "$n" = 0 ] || { echo "FAIL: $n half-done sales after disk full"; fails=$((fails + 1)); }
    expect 0 "sale once space is back" env KILOVEND_DB=full/ledger.db $K --card-file c1.card sell --meter 123456782 --amount 10
    umount full
else
    echo "FAIL: the disk-full test needs root (mount tmpfs)"; fails=$((fails + 1))
fi
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
