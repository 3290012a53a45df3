#!/bin/sh
# test-key-rotation.sh - a new master key version rolled out across three
# stations (run under kv-pg-harness, stations 101:1 102:1 201:2), each with
# its keys in its own SoftHSM2 token, synced with a real PostgreSQL head
# office (docs/keys.md, "Rotation across stations"):
#   every sync reports the versions a station's token holds; head office
#   records them per station;
#   version 2, staged at head office and loaded at one station (even from a
#   keyload file marked "current"), stays not current everywhere;
#   a station that never loaded version 2 refuses to seal for a meter keyed
#   with it, before the card is touched, and says why;
#   once the last active station loads it and syncs, head office makes it
#   current, and each station makes it current at its next sync;
#   `key holdings` shows head office's per-station report.
set -u
. "$(dirname "$0")/../core/ctl-common.sh"
. "$(dirname "$0")/sync-common.sh"
MOD=${KV_PKCS11_MODULE:?}
M=123456782
M2=111111118
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$dir" >softhsm2.conf
export SOFTHSM2_CONF=$dir/softhsm2.conf
for t in st-101 st-102 st-201; do
    softhsm2-util --init-token --free --label $t --pin 1234 --so-pin 5678 >/dev/null || fail "token $t"
done
s1() { env KILOVEND_DB="$dir/s1.db" KILOVEND_KEYS="$dir/s1.keys" "$K" "$@"; }
s2() { env KILOVEND_DB="$dir/s2.db" KILOVEND_KEYS="$dir/s2.keys" "$K" "$@"; }
s3() { env KILOVEND_DB="$dir/s3.db" KILOVEND_KEYS="$dir/s3.keys" "$K" "$@"; }
cust() { env KILOVEND_DB="$dir/cust.db" KILOVEND_KEYS="$dir/cust.keys" KILOVEND_PASSPHRASE=passphrase1 "$K" "$@"; }
held() { # held VERSION: head office's view "state:held_by_all:stations_holding"
    apsql "SELECT state || ':' || held_by_all || ':' || stations_holding FROM kv.key_versions_held WHERE version = $1"
}
current() { # current STATION: the version it gives new meters
    "$@" --json key status >"$dir/out.txt" 2>"$dir/err.txt" || { cat "$dir/err.txt"; echo "?"; return; }
    json current
}

centre_meter $M || fail "master data"
apsql "INSERT INTO kv.key_versions(family, version, state, created_at) VALUES ('token', 1, 'current', 1577836800);" ||
    fail "master data"

# ---- three stations, one master key, each in its own token ----
expect 0 "init station 101" s1 init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 1 --station 101
cp s1.keys s2.keys
cp s1.keys s3.keys
cp s1.keys cust.keys   # the key custodian's copy
expect 0 "init station 102" s2 init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 1 --station 102
expect 0 "init station 201" s3 init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 2 --station 201
export KILOVEND_PIN=1234
expect 0 "migrate 101 into its token" s1 key migrate --module "$MOD" --token st-101
expect 0 "migrate 102 into its token" s2 key migrate --module "$MOD" --token st-102
expect 0 "migrate 201 into its token" s3 key migrate --module "$MOD" --token st-201
export KILOVEND_PASSPHRASE=1234   # the token's PIN from here on
for s in s1 s2 s3; do
    expect 0 "$s syncs" $s sync --once
done
same "/keys/rotation/holdings-reported: head office holds each station's versions" \
    "$(apsql "SELECT string_agg(station_no || '=' || key_version || '/' || backend, ' ' ORDER BY station_no, key_version) FROM kv.key_holdings")" \
    "101=1/pkcs11 102=1/pkcs11 201=1/pkcs11"
same "version 1 is held by all" "$(held 1)" "current:true:3"

# ---- version 2 staged; the custodian makes one keyload file per station ----
apsql "INSERT INTO kv.key_versions(family, version, state, created_at) VALUES ('token', 2, 'next', 1577836800)" ||
    fail "stage version 2"
expect 0 "custodian's scratch ledger" cust init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 9
expect 0 "custodian makes version 2" cust key rotate
for s in s1 s2 s3; do
    expect 0 "$s keyload key" $s key request --out $s.pem
    expect 0 "keyload for $s (marked current)" cust key keyload --version 2 --utility-code 4711 \
        --station-key $s.pem --out $s.kvload --current
done

# ---- one station loads it: not current anywhere ----
expect 0 "101 loads version 2" s1 --json key load s1.kvload
same "/keys/rotation/staged-not-current: a keyload file marked current does not make it current at a syncing station" \
    "$(json current)" 1
expect 0 "101 syncs" s1 sync --once
same "head office: version 2 held by one station, still staged" "$(held 2)" "next:false:1"
same "station 101 still seals new meters with version 1" "$(current s1)" 1
same "station 102 still on version 1" "$(current s2)" 1

# ---- a meter keyed with version 2: 201 never loaded it ----
apsql "INSERT INTO kv.meters(number, customer_id, tariff_code, key_version, psc_key_version, alarm_level,
                             pretrip_level, hoarding_limit, created_at)
           VALUES ($M2, 7, 'DEFAULT', 2, 1, 500, 200, 50000, 1577836800)" || fail "meter on version 2"
expect 0 "101 pulls the meter" s1 sync --once
expect 0 "blank card" s1 card blank m2.card
expect 0 "101 (holds version 2) issues its card" s1 --card-file m2.card card issue --meter $M2
expect 0 "101 pushes the card" s1 sync --once
expect 0 "201 syncs" s3 sync --once
expect 0 "shift at 201" s3 shift open
cp m2.card before.card
expect 9 "/keys/rotation/unloaded-version-refused: 201 refuses to seal with version 2" \
    s3 --card-file m2.card sell --meter $M2 --amount 10
has err.txt "version 2, which this station's keys do not hold" "the refusal says which version is missing"
has err.txt "key load" "the refusal says what to do"
cmp -s m2.card before.card || fail "the card was touched by the refused sale"
same "no sale recorded for the refusal" "$(sqlite3 s3.db "SELECT count(*) FROM sales WHERE meter_number = $M2")" 0

# ---- the second station: still not current ----
expect 0 "102 loads version 2" s2 key load s2.kvload
expect 0 "102 syncs" s2 sync --once
same "head office: two of three hold version 2" "$(held 2)" "next:false:2"
expect 0 "101 syncs" s1 sync --once
same "station 101 still on version 1" "$(current s1)" 1
expect 0 "101's holdings: head office's report" s1 key holdings
has out.txt "head office's report" "the report is head office's"
has out.txt "station 201 .*pkcs11  1 " "station 201 holds only version 1"
has out.txt "Held by every station.*: 1$" "only version 1 is held by all"

# ---- the last station: version 2 becomes current everywhere ----
expect 0 "201 loads version 2" s3 key load s3.kvload
same "still version 1 before 201 syncs" "$(current s3)" 1
expect 0 "201 syncs" s3 sync --once
same "/keys/rotation/current-when-all-hold: head office made version 2 current" "$(held 2)" "current:true:3"
same "version 1 retired at head office" "$(held 1)" "retired:true:3"
same "201 makes version 2 current" "$(current s3)" 2
same "101 before its sync: version 1" "$(current s1)" 1
expect 0 "101 syncs" s1 sync --once
expect 0 "102 syncs" s2 sync --once
same "101 makes version 2 current" "$(current s1)" 2
same "102 makes version 2 current" "$(current s2)" 2
same "101 audited the change" \
    "$(sqlite3 s1.db "SELECT count(*) FROM audit WHERE action = 'keys.current' AND detail LIKE 'head-office-current=2 %'")" 1
expect 0 "--json holdings" s1 --json key holdings
has out.txt '"source":"head-office"' "the report says it is head office's"
has out.txt '"held_by_all":\[1,2\],"current":2' "held by all: 1 and 2, current 2"
expect 0 "201 sells on the version 2 meter now" s3 --card-file m2.card sell --meter $M2 --amount 10
finish
