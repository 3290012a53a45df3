#!/bin/sh
# test-cross-office.sh METER_SIM - head office's check across offices (run
# under kv-pg-harness, stations 101:1 201:2), with the card carried between
# them and loaded into kilovend-meter-sim (the meter firmware on the host):
#   honest sales at both offices, synced, are not flagged; a readback pushed
#   before the other office's sale is flagged until that sale arrives, then
#   cleared;
#   the attack: credit nobody sold (a card dump restored after a cancel) is
#   loaded by the meter, and the cashier of the office that reads the card
#   back raises that station's copy of what other offices sold (meter_remote,
#   from a SQLite shell) so that the station's own check stays quiet; head
#   office, which counts only the pushed sales, flags the meter.
set -u
SIM=$(realpath "$1")
. "$(dirname "$0")/../core/ctl-common.sh"
. "$(dirname "$0")/sync-common.sh"
REPORT=${KV_CENTRAL_REPORT:?}
M=123456782
sim() { "$SIM" --state meter.st --config prov.bin "$@" >/dev/null; }
local_anomalies() { sqlite3 "$dir/a.db" "SELECT count(*) FROM anomalies WHERE kind = 'loaded-above-sold'"; }
open_alarms() { apsql "SELECT count(*) FROM kv_report.loaded_above_sold()"; }

apsql "INSERT INTO kv.tariffs(code, name) VALUES ('DEFAULT', 'Residential');
       INSERT INTO kv.tariff_versions(id, code, effective_from, vat_bp, blocks, created_at)
           VALUES (1, 'DEFAULT', 1577836800, 0, '[{\"upto\": null, \"price_e4\": 10000000}]', 1577836800);
       INSERT INTO kv.customers(id, account, name, created_at) VALUES (7, 'ACC-7', 'Kofi Boateng', 1577836800);
       INSERT INTO kv.meters(number, customer_id, tariff_code, key_version, psc_key_version, alarm_level,
                             pretrip_level, hoarding_limit, created_at)
           VALUES ($M, 7, 'DEFAULT', 1, 1, 500, 200, 50000, 1577836800);" || fail "master data"
expect 0 "init office 1, station 101" a init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 1 --station 101
expect 0 "init office 2, station 201" b init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 2 --station 201
expect 0 "station 101 syncs" a sync --once
expect 0 "station 201 syncs" b sync --once
expect 0 "provision the meter" a meter provision --meter $M --out prov.bin
expect 0 "blank card" a card blank c1.card
expect 0 "office 1 issues the card" a --card-file c1.card card issue --meter $M
expect 0 "shift at office 1" a shift open
expect 0 "shift at office 2" b shift open
expect 0 "office 1 sells 1 kWh" a --card-file c1.card sell --meter $M --amount 10
expect 0 "office 1 syncs" a sync --once
sim insert c1.card
expect 0 "office 2 syncs" b sync --once

# ---- honest: a readback pushed before the other office's sale ----
expect 0 "office 2 sells on the card, offline for now" b --card-file c1.card sell --meter $M --amount 5
sim insert c1.card
expect 0 "office 1 reads the card back" a --card-file c1.card card read
expect 0 "office 1 pushes the readback" a sync --once
same "the readback shows more than the centre holds as sold: flagged" "$(open_alarms)" 1
expect 0 "office 2 pushes its sale" b sync --once
same "/central/cross-office/late-sale-clears: the other office's sale arrived, the alarm is cleared" \
    "$(open_alarms):$(apsql "SELECT count(*) || ':' || max(cleared_sold) FROM kv.loaded_above_sold WHERE cleared_at IS NOT NULL")" \
    "0:1:150"

# ---- honest: sales at both offices, synced ----
expect 0 "office 2 sells again" b --card-file c1.card sell --meter $M --amount 5
expect 0 "office 2 syncs" b sync --once
sim insert c1.card
expect 0 "office 1 syncs" a sync --once
expect 0 "office 1 sells" a --card-file c1.card sell --meter $M --amount 10
sim insert c1.card
expect 0 "office 1 reads the card" a --card-file c1.card card read
expect 0 "office 1 syncs" a sync --once
expect 0 "office 2 syncs" b sync --once
expect 0 "office 2 reads the card" b --card-file c1.card card read
expect 0 "office 2 syncs" b sync --once
same "head office: sold by both offices, loaded as sold" \
    "$(apsql "SELECT sold_energy || ':' || rb_loaded FROM kv.meter_state WHERE meter_number = $M")" "300:300"
expect 0 "/central/cross-office/honest-sales-not-flagged: the alarms report is quiet" "$REPORT" alarms
same "no open alarm" "$(open_alarms)" 0

# ---- the attack ----
expect 0 "office 2 sells 0.5 kWh" b --card-file c1.card sell --meter $M --amount 5
cp c1.card dump.card
sale=$(sqlite3 "$dir/b.db" "SELECT max(id) FROM sales")
expect 0 "office 2 cancels it" b --card-file c1.card cancel --sale "$sale" --reason refund
expect 0 "office 2 syncs the cancel" b sync --once
cp dump.card c1.card
sim insert c1.card
expect 0 "office 1 syncs" a sync --once
before=$(local_anomalies)
sqlite3 "$dir/a.db" "UPDATE meter_remote SET sold_energy = sold_energy + 50 WHERE meter_number = $M" ||
    fail "the cashier's edit"
expect 0 "office 1 reads the card" a --card-file c1.card card read
same "the edited copy hides the cancelled credit from office 1's own check" "$(local_anomalies)" "$before"
expect 0 "office 1 syncs the readback" a sync --once
expect 3 "/central/cross-office/edited-meter-remote-flagged: the alarms report raises the alarm" "$REPORT" alarms
has err.txt "ALARM: 1 meter" "the alarm names how many meters"
has out.txt "$M" "the report names the meter"
has out.txt "ACC-7" "the report names the customer"
same "head office's record: meter, loaded, sold, excess, read by" \
    "$(apsql "SELECT meter_number || ':' || loaded || ':' || sold || ':' || excess || ':' || read_by
              FROM kv_report.loaded_above_sold()")" "$M:350:300:50:101"
expect 0 "the next round of office 1 (the edit overwritten or not)" a sync --once
same "it stays open: no pushed sale covers it" "$(open_alarms)" 1

finish
