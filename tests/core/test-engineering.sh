#!/bin/sh
# test-engineering.sh KILOVENDCTL METER_SIM - engineering cards issued by
# kilovendctl (card files) and inserted into kilovend-meter-sim, the meter
# firmware on the host: the meter applies each one, and the ledger follows
# only on the readback (parameters, key change).  Also the role rules, key
# rotation listing the meters to move, and a credit token under the new key
# version loading after the key change.
set -u
KILOVENDCTL=$(realpath "$1")
SIM=$(realpath "$2")
. "$(dirname "$0")/ctl-common.sh"
M=123456782
# a member of the card report's "token" object
tok() { sed -n 's/.*"token": {\([^}]*\)}.*/\1/p' out.txt | grep -o "\"$1\": *[^,}]*" | sed 's/^[^:]*: *//; s/"//g'; }
sim() { "$SIM" --state st --config prov.bin "$@"; }
simjson() { sim status --json >sim.txt; grep -o "\"$1\":[^,}]*" sim.txt | head -1 | cut -d: -f2 | tr -d '"'; }
# The ledger's key version for the meter and the one a key change moves it
# to (0: none under way).
ledger_keys() { # ledger_keys WHAT VERSION TARGET
    expect 0 "meter show" $K --json meter show --meter $M
    is "$1: ledger key version" "$(json key_version)" "$2"
    is "$1: key change under way to" "$(json key_version_target)" "$3"
}
# A sale on user.card and the key version its token is sealed under.
sell_sealed() { # sell_sealed WHAT AMOUNT VERSION
    expect 0 "$1" $K --card-file user.card sell --meter $M --amount "$2"
    expect 0 "read" $K --json --card-file user.card card read
    is "$1: token sealed under version $3" "$(tok key_version)" "$3"
}

expect 0 "init" $K init --utility-name "Lake Power" --utility-code 4711 --currency KES
expect 0 "tariff" $K tariff add --code DEFAULT --block 10 --from 2020-01-01
expect 0 "meter" $K meter add --number $M --hoarding 500 --alarm 5 --pretrip 2
expect 0 "provision" $K meter provision --meter $M --out prov.bin
expect 0 "supervisor" env KILOVEND_NEW_PASSWORD=superpass1 $K user add sam --role supervisor
expect 0 "cashier" env KILOVEND_NEW_PASSWORD=cashierpw1 $K user add carol --role cashier
$K card blank user.card >/dev/null
expect 0 "user card" $K --card-file user.card card issue --meter $M
expect 0 "shift" $K shift open
expect 0 "sell 10 kWh" $K --card-file user.card sell --meter $M --amount 100
sim insert user.card >/dev/null
is "the meter loads the sale" "$(simjson remaining)" 1000

# Check card: the meter writes its readback; the station imports it.
$K card blank chk.card >/dev/null
expect 0 "check card" env KILOVEND_USER=sam KILOVEND_PASSWORD=superpass1 $K --json --card-file chk.card card engineering --type check --meter $M
sim insert chk.card >/dev/null
is "meter shows the check card" "$(simjson display)" "CHEc donE"
expect 0 "read the check card" $K --json --card-file chk.card card read
is "check card: readback imported" "$(json imported)" true
is "check card: remaining from the readback" "$(json remaining)" 1000
is "check card: card type" "$(json card_type)" 16
is "check card: it carries a check token (the meter authenticates it)" "$(tok kind)" check
chk_seq=$(tok seq)
# Written again (how a check card of an older release, without a token, is
# re-issued): a new check token in the other slot, and the meter takes it.
expect 0 "check card written again" env KILOVEND_USER=sam KILOVEND_PASSWORD=superpass1 $K --json --card-file chk.card card engineering --type check --meter $M
is "the same card, written again" "$(json reused)" true
expect 0 "read the check card" $K --json --card-file chk.card card read
is "a newer check token on it" "$([ "$(tok seq)" -gt "$chk_seq" ] && echo newer)" newer
sim insert chk.card >/dev/null
is "meter takes the re-written check card" "$(simjson display)" "CHEc donE"
expect 0 "setting show" $K --json setting show
is "no issuer by default (tokens the first firmware reads)" "$(json token_issuer)" 0

# Roles.
$K card blank role.card >/dev/null
expect 7 "a cashier may not issue engineering cards" env KILOVEND_USER=carol KILOVEND_PASSWORD=cashierpw1 KILOVEND_SUPERVISOR_PASSWORD=adminpass1 $K --supervisor admin --card-file role.card card engineering --type test --meter $M
expect 19 "no key change while the meter is on the current version" $K --card-file role.card card engineering --type key-change --meter $M
expect 2 "unknown type" $K --card-file role.card card engineering --type frob --meter $M
expect 3 "parameters out of order" $K --card-file role.card card engineering --type parameter --meter $M --alarm-kwh 1 --pretrip-kwh 2
expect 0 "role card still blank" $K --json --card-file role.card card read --no-keys
is "card read --no-keys: identity only" "$(json keys)" "identity only"

# Parameter card: applied by the meter; the ledger follows on the readback.
$K card blank par.card >/dev/null
expect 3 "emergency allowance above 255 kWh" env KILOVEND_USER=sam KILOVEND_PASSWORD=superpass1 $K --card-file par.card card engineering --type parameter --meter $M --emergency-kwh 256
expect 2 "emergency allowance on a test card" $K --card-file par.card card engineering --type test --meter $M --emergency-kwh 5
expect 0 "parameter card" env KILOVEND_USER=sam KILOVEND_PASSWORD=superpass1 $K --json --card-file par.card card engineering --type parameter --meter $M --alarm-kwh 8 --pretrip-kwh 3 --hoarding-kwh 800 --max-power-w 5000 --reconnect-s 30 --emergency-kwh 5
par_seq=$(json seq)
is "parameter card: emergency allowance" "$(json emergency_kwh)" 5
expect 0 "meter show" $K --json meter show --meter $M
is "ledger keeps the old hoarding limit until the meter applies it" "$(json hoarding_limit)" 50000
sim insert par.card >/dev/null
is "meter shows the parameter card" "$(simjson display)" "PArA donE"
is "meter alarm level" "$(simjson alarm_level)" 800
is "meter pre-trip level" "$(simjson pretrip_level)" 300
is "meter hoarding limit" "$(simjson hoarding_limit)" 80000
is "meter max power" "$(simjson max_power)" 5000
is "meter emergency allowance" "$(simjson emergency_kwh)" 5
expect 0 "read the parameter card back" $K --json --card-file par.card card read
is "the card's token carries the allowance" "$(tok emergency_kwh)" 5
is "the readback reports the meter's allowance (0.01 kWh)" \
    "$(sed -n 's/.*"readback": {\([^}]*\)}.*/\1/p' out.txt | grep -o '"emergency": *[0-9]*' | sed 's/.*: *//')" 500
expect 0 "meter show" $K --json meter show --meter $M
is "ledger hoarding limit after the readback" "$(json hoarding_limit)" 80000
is "ledger alarm level" "$(json alarm_level)" 800
is "ledger reconnect delay" "$(json reconnect_delay)" 30
sim insert par.card >/dev/null
is "the same parameter token again is a replay" "$(simjson display)" "Err 13"
expect 0 "the parameter card used again" $K --json --card-file par.card card engineering --type parameter --meter $M --hoarding-kwh 900
is "re-used" "$(json reused)" true
[ "$(json seq)" -gt "$par_seq" ] && echo "ok: new token, higher sequence" || fail "re-used seq $(json seq) <= $par_seq"
sim insert par.card >/dev/null
is "meter takes the new hoarding limit" "$(simjson hoarding_limit)" 90000
is "other parameters kept" "$(simjson alarm_level)" 800
is "the emergency allowance kept (the meter applied it)" "$(simjson emergency_kwh)" 5
# Emergency credit at the meter (on a copy of it and of the user card, so
# the rest goes on with the meter as it was): nothing while there is
# credit, taken by holding the button once the credit is used up.
cp -r st st2; cp user.card user2.card
sim2() { "$SIM" --state st2 --config prov.bin "$@"; }
sim2json() { sim2 status --json >sim.txt; grep -o "\"$1\":[^,}]*" sim.txt | head -1 | cut -d: -f2 | tr -d '"'; }
is "button held with credit: nothing" "$(sim2 button --hold | head -1)" "emergency credit: not taken"
sim2 run --kw 4 --hours 3 >/dev/null
sim2 insert user2.card >/dev/null # recloses the pre-trip
sim2 run --kw 4 --hours 1 >/dev/null
is "cut off at zero" "$(sim2json supply)" "cut-off"
is "button held at the cut-off: taken" "$(sim2 button --hold | head -1)" "emergency credit: taken"
is "supply on emergency credit" "$(sim2json supply)" "emergency"
case "$(sim2json display)" in "Ec "*) echo "ok: display Ec";; *) fail "display $(sim2json display)";; esac
is "not twice" "$(sim2 button --hold | head -1)" "emergency credit: not taken"
expect 16 "a parameter card is not a test card" $K --card-file par.card card engineering --type test --meter $M

# Clear-tamper card.
sim cover open >/dev/null
sim cover close >/dev/null
is "cover tamper set" "$(simjson cover)" true
$K card blank ct.card >/dev/null
expect 0 "clear-tamper card" $K --card-file ct.card card engineering --type clear-tamper --meter $M
sim insert ct.card >/dev/null
is "meter shows tamper cleared" "$(simjson display)" "tAMP CLr"
is "tamper cleared" "$(simjson cover)" false

# Test card.
$K card blank tst.card >/dev/null
expect 0 "test card" $K --card-file tst.card card engineering --type test --meter $M
sim insert tst.card >/dev/null
is "meter lights every segment" "$(simjson display)" "8.8.8.8.8.8.8.8.8.8."
sim insert tst.card >/dev/null
is "a test card works again" "$(simjson display)" "8.8.8.8.8.8.8.8.8.8."

# Key rotation: the meter is listed, a key-change card moves it.
expect 0 "key rotate" $K --json key rotate
is "rotation lists the meter" "$(grep -o "meters_needing_key_change\":\[[^]]*" out.txt | cut -d'[' -f2)" "\"$M\""
$K card blank kc.card >/dev/null
expect 7 "a supervisor may not issue a key-change card" env KILOVEND_USER=sam KILOVEND_PASSWORD=superpass1 $K --card-file kc.card card engineering --type key-change --meter $M
expect 0 "key-change card" $K --json --card-file kc.card card engineering --type key-change --meter $M
is "key change to version 2" "$(json new_key_version)" 2
expect 0 "read the key-change card" $K --json --card-file kc.card card read
is "the key change is sealed under the transport key" "$(tok kind)" "key change (transport key)"
ledger_keys "the ledger keeps version 1 until the meter moves" 1 2
sell_sealed "sell before the key change reached the meter" 50 1
sim insert user.card >/dev/null
is "the meter (still on 1) loads it" "$(simjson remaining)" 1500
sim insert kc.card >/dev/null
is "meter shows the key change" "$(simjson display)" "CodE donE"
is "meter on key version 2" "$(simjson key_version)" 2
expect 0 "read the key-change card back" $K --json --card-file kc.card card read
is "key change confirmed by the readback" "$(json key_changed)" true
ledger_keys "the meter moved" 2 0
sell_sealed "sell under the new version" 20 2
is "token verified" "$(tok state | cut -c1-5)" valid
sim insert user.card >/dev/null
is "the credit under the new key loads" "$(simjson remaining)" 1700
is "meter shows the load" "$(simjson display)" "Ld 0002.00kWh"
expect 0 "key rotate lists nothing now" $K --json key rotate
expect 0 "audit" $K audit verify
for a in card.engineering meter.parameters meter.key-changed; do
    n=$(sqlite3 "$KILOVEND_DB" "SELECT count(*) FROM audit WHERE action = '$a'")
    [ "$n" -gt 0 ] && echo "ok: audit has $a" || fail "no $a in the audit log"
done
n=$(sqlite3 "$KILOVEND_DB" "SELECT count(*) FROM cards WHERE type <> 1 AND status = 'active'")
is "engineering cards in the cards table (check, 2 parameter tokens on one card, clear-tamper, test, key-change)" "$n" 5

# The contract's second revision (docs/security-model.md, "The card contract").
is "provision writes a version 2 block (with the transport key)" "$(od -An -tx1 -j4 -N1 prov.bin | tr -d ' ')" 02
# Version 3 is current since the last rotate: a key change sealed the old way
# is made only when forced, is audited, and a meter with a transport key
# refuses it.
$K card blank kc1.card >/dev/null
expect 0 "legacy key-change card (forced)" $K --json --card-file kc1.card card engineering --type key-change --meter $M --legacy-key-change
expect 0 "read it" $K --json --card-file kc1.card card read
is "sealed under the key it replaces" "$(tok kind)" "key change"
n=$(sqlite3 "$KILOVEND_DB" "SELECT count(*) FROM audit WHERE action = 'card.engineering' AND detail LIKE '%legacy=1%'")
is "the forced legacy key change is in the audit log" "$n" 1
sim insert kc1.card >/dev/null
is "a meter with a transport key refuses it" "$(simjson display)" "Err 17"
is "the meter stays on key version 2" "$(simjson key_version)" 2
expect 3 "the legacy key change goes with key-change cards only" $K --card-file role.card card engineering --type test --meter $M --legacy-key-change
# A check card whose issue was interrupted under a release whose check cards
# carried no token (reserved, no token in the ledger) is finished with one.
old=$(sqlite3 "$KILOVEND_DB" "SELECT max(serial) + 1 FROM cards")
sqlite3 "$KILOVEND_DB" "INSERT INTO cards(serial, meter_number, type, status, issue_step, issued_at) VALUES ($old, $M, 16, 'issuing', 'reserved', 1764028800)"
$K card blank chk2.card >/dev/null
expect 0 "the interrupted check card is finished" env KILOVEND_USER=sam KILOVEND_PASSWORD=superpass1 $K --json --card-file chk2.card card engineering --type check --meter $M
is "on the serial reserved before" "$(json serial)" "$old"
sim insert chk2.card >/dev/null
is "the meter takes it" "$(simjson display)" "CHEc donE"
# The issuer in the counter block (setting token_issuer).
expect 3 "token_issuer is 0..32767" $K setting set token_issuer 32768
expect 0 "token issuer" $K setting set token_issuer 7
expect 0 "sell with the issuer" $K --card-file user.card sell --meter $M --amount 30
expect 0 "read" $K --json --card-file user.card card read
is "the token names its issuer" "$(tok issuer)" 7
is "and opens at the station" "$(tok state | cut -c1-5)" valid
sim insert user.card >/dev/null
is "the meter of this release loads it" "$(simjson remaining)" 2000
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
