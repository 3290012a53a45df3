#!/bin/sh
# test-sync-offices.sh METER_SIM - two offices of one utility on one head
# office (run under kv-pg-harness, stations 101:1 201:2), their customer's
# card carried between them and loaded into kilovend-meter-sim (the meter
# firmware on the host):
#   master data made at head office reaches both stations;
#   a card of office 1 is refused at office 2 until office 2 has synced,
#   then sells there (the customer buys at any office);
#   a sale of office 2, once synced, raises no anomaly at office 1; credit
#   nobody sold (a card dump restored after a cancel, loaded by the meter)
#   still does;
#   master data is refused at a station that syncs; key rotation and a
#   cancel of a pushed sale are refused offline; the offline limits (money,
#   hours) stop selling with a message saying why.
set -u
SIM=$(realpath "$1")
. "$(dirname "$0")/../core/ctl-common.sh"
. "$(dirname "$0")/sync-common.sh"
M=123456782
sim() { "$SIM" --state meter.st --config prov.bin "$@" >/dev/null; }
anomalies() { # anomalies DB KIND: how many stored
    sqlite3 "$1" "SELECT count(*) FROM anomalies WHERE kind = '$2'"
}

# ---- head office's master data ----
two_offices $M
same "/sync/master-data-down: the meter and its customer came down" \
    "$(sqlite3 "$dir/a.db" "SELECT m.number || ':' || c.account || ':' || t.code || ':' || b.price_e4
                             FROM meters m JOIN customers c ON c.id = m.customer_id
                             JOIN tariffs t ON t.code = m.tariff_code JOIN tariff_blocks b ON b.tariff_id = t.id")" \
    "$M:ACC-7:DEFAULT:10000000"
first_card $M
expect 0 "office 1 sells 1 kWh" a --card-file c1.card sell --meter $M --amount 10
expect 0 "office 1 syncs" a sync --once
sim insert c1.card

# ---- the card at office 2 (seq 1: the card's first token, 2: the sale) ----
expect 16 "/sync/card-unknown-before-sync: office 2 does not know the card yet" b --card-file c1.card sell --meter $M --amount 5
has err.txt "not registered" "the refusal says the card is not registered here"
expect 0 "office 2 syncs" b sync --once
expect 0 "/sync/buy-at-any-office: office 2 sells on office 1's card" b --json --card-file c1.card sell --meter $M --amount 5
same "office 2's token follows office 1's" "$(sqlite3 "$dir/b.db" "SELECT seq || ':' || base_cumulative || ':' || office FROM sales")" "3:100:201"
same "office 1's sale read back at office 2 is no anomaly" "$(anomalies "$dir/b.db" loaded-above-sold)" 0
expect 0 "office 2 syncs its sale" b sync --once
sim insert c1.card
expect 0 "office 1 syncs" a sync --once
expect 0 "office 1 reads the card" a --card-file c1.card card read
same "/sync/other-office-sale-no-anomaly: office 2's synced sale is no anomaly at office 1" \
    "$(anomalies "$dir/a.db" loaded-above-sold)" 0
same "head office: sold by both offices" "$(apsql "SELECT sold_energy || ':' || sold_count FROM kv.meter_state WHERE meter_number = $M")" "150:2"

# ---- credit nobody sold: a dump restored after a cancel ----
unsold_credit
expect 0 "office 1 syncs" a sync --once
expect 0 "office 1 reads the card" a --card-file c1.card card read
same "/sync/credit-nobody-sold-still-detected: the loaded cancelled credit is an anomaly" \
    "$(anomalies "$dir/a.db" loaded-above-sold):$(sqlite3 "$dir/a.db" "SELECT amount FROM anomalies WHERE kind = 'loaded-above-sold'")" "1:50"

# ---- master data only from head office; online-only operations ----
expect 19 "/sync/no-local-master-data: customer add" a customer add --account X-1 --name "Local Only"
has err.txt "head office" "the refusal says where it is done"
expect 19 "meter add" a meter add --number $M --hoarding 100 --alarm 5 --pretrip 2
expect 19 "tariff add" a tariff add --code LOCAL --block 5 --from 2020-01-01
expect 19 "user add" env KILOVEND_NEW_PASSWORD=cashierpw1 "$K" --db "$dir/a.db" user add carol --role cashier
sed "s/^port = .*/port = 1/" sync.conf >down.conf
expect 1 "the link is down" a sync --once --config down.conf
expect 0 "status" a --json sync status
same "offline" "$(json link)" offline
expect 19 "/sync/offline-key-rotation-refused" a key rotate
has err.txt "offline" "the refusal says the station is offline"
pushed=$(sqlite3 "$dir/a.db" "SELECT max(id) FROM sales")
expect 19 "/sync/offline-cancel-of-pushed-sale-refused" a --card-file c1.card cancel --sale "$pushed" --reason refund
has err.txt "head office" "the refusal names head office"
expect 0 "a blank card for a replacement" a card blank lost.card
expect 19 "/sync/offline-card-replace-refused" a --card-file lost.card card replace --meter $M --reason lost
has err.txt "offline" "the refusal says the station is offline"
same "no card was made" "$(sqlite3 "$dir/a.db" "SELECT count(*) FROM cards WHERE meter_number = $M")" 1
expect 0 "back online" a sync --once

# ---- offline limits from head office ----
apsql "UPDATE kv.stations SET offline_money = 1500, offline_hours = 2 WHERE station_no = 101" >/dev/null
expect 0 "office 1 pulls its limits" a sync --once
expect 0 "a sale within the money limit" a --card-file c1.card sell --meter $M --amount 10
expect 19 "/sync/offline-money-limit: past it selling stops" a --card-file c1.card sell --meter $M --amount 10
has err.txt "offline limit" "the refusal names the limit"
expect 0 "a sync" a sync --once
expect 0 "selling again after the sync" a --card-file c1.card sell --meter $M --amount 10
expect 19 "/sync/offline-hours-limit: three hours later without a sync" env KILOVEND_NOW=$(( $(date +%s) + 3 * 3600 )) "$K" --db "$dir/a.db" --card-file c1.card sell --meter $M --amount 1
has err.txt "offline limit of 2 hours" "the refusal names the hours"

finish
