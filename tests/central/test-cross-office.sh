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
APP_REPLACE=${KV_REPLACE_LIKE_APP:?}
M=123456782
sim() { "$SIM" --state meter.st --config prov.bin "$@" >/dev/null; }
local_anomalies() { sqlite3 "$dir/a.db" "SELECT count(*) FROM anomalies WHERE kind = 'loaded-above-sold'"; }
open_alarms() { apsql "SELECT count(*) FROM kv_report.loaded_above_sold()"; }

two_offices $M
first_card $M
expect 0 "office 1 sells 1 kWh" a --card-file c1.card sell --meter $M --amount 10
expect 0 "office 1 syncs" a sync --once
sim insert c1.card
expect 0 "office 2 syncs" b sync --once

# A station's step: sells AMOUNT, reads the card back, or syncs.
step() {
    st=$1; what=$2; shift 2
    case "$what" in
    sells) expect 0 "station $st sells $1" "$st" --card-file c1.card sell --meter $M --amount "$1" ;;
    reads) expect 0 "station $st reads the card" "$st" --card-file c1.card card read ;;
    syncs) expect 0 "station $st syncs" "$st" sync --once ;;
    esac
}

# ---- honest: a readback pushed before the other office's sale ----
step b sells 5
sim insert c1.card
step a reads
step a syncs
same "the readback shows more than the centre holds as sold: flagged" "$(open_alarms)" 1
step b syncs
same "/central/cross-office/late-sale-clears: the other office's sale arrived, the alarm is cleared" \
    "$(open_alarms):$(apsql "SELECT count(*) || ':' || max(cleared_sold) FROM kv.loaded_above_sold WHERE cleared_at IS NOT NULL")" \
    "0:1:150"

# ---- honest: sales at both offices, synced ----
for s in "b sells 5" "b syncs" "- insert" "a syncs" "a sells 10" "- insert" "a reads" "a syncs" "b syncs" \
         "b reads" "b syncs"; do
    # shellcheck disable=SC2086
    case "$s" in -*) sim insert c1.card ;; *) step $s ;; esac
done
same "head office: sold by both offices, loaded as sold" \
    "$(apsql "SELECT sold_energy || ':' || rb_loaded FROM kv.meter_state WHERE meter_number = $M")" "300:300"
expect 0 "/central/cross-office/honest-sales-not-flagged: the alarms report is quiet" "$REPORT" alarms
same "no open alarm" "$(open_alarms)" 0

# ---- the attack ----
unsold_credit
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

# ---- a lost card replaced: reserved at head office, once ----
step a syncs
step b syncs
expect 0 "a blank card at office 1" a card blank new1.card
expect 0 "a blank card at office 2" b card blank new2.card
expect 19 "/central/cards/app-without-link-refused: a front end that passes no link to head office is refused" \
    env KILOVEND_DB="$dir/a.db" "$APP_REPLACE" --no-link "$dir/a.db" new1.card $M lost
has err.txt "no link to it" "the refusal says what to do"
expect 0 "/central/cards/app-replacement-reserved: office 1 replaces the lost card as the app does (reserved at head office)" \
    env KILOVEND_DB="$dir/a.db" "$APP_REPLACE" "$dir/a.db" new1.card $M lost
expect 19 "/central/cards/replacement-reserved-once: office 2, online but not told yet, is refused" \
    b --card-file new2.card card replace --meter $M --reason lost
has err.txt "station 101 is replacing" "the refusal names the office that replaces it"
expect 19 "office 2 is refused through the app's path too" \
    env KILOVEND_DB="$dir/b.db" "$APP_REPLACE" "$dir/b.db" new2.card $M lost
has err.txt "station 101 is replacing" "the app's refusal names the office that replaces it"
sed 's/^port = .*/port = 1/' "$dir/sync.conf" >"$dir/down.conf"
expect 1 "office 2's link fails" env KILOVEND_SYNC_CONF="$dir/down.conf" "$K" --db "$dir/b.db" sync --once
expect 19 "/central/cards/app-replacement-offline: offline, the app's path is refused before head office is asked" \
    env KILOVEND_DB="$dir/b.db" "$APP_REPLACE" "$dir/b.db" new2.card $M lost
has err.txt "offline" "the refusal says the station is offline"
same "office 2 made no card" "$(sqlite3 "$dir/b.db" "SELECT count(*) FROM cards WHERE meter_number = $M")" 1
same "one reservation, office 1's" "$(apsql "SELECT string_agg(station_no::text, ',') FROM kv.card_reservations")" 101
step a syncs
same "office 1's new card at head office ends its reservation" \
    "$(apsql "SELECT count(*) FROM kv.card_reservations WHERE expires_at > now()")" 0
step b syncs
same "office 2 takes the old card's status from head office (card statuses in the pull)" \
    "$(sqlite3 "$dir/b.db" "SELECT status FROM cards WHERE meter_number = $M ORDER BY serial LIMIT 1")" lost
expect 0 "office 2 sells on the new card" b --card-file new1.card sell --meter $M --amount 5

# ---- a free allocation alone (amount 0) reaches head office as credit ----
expect 0 "office 2 syncs its sale" b sync --once
sold_before=$(apsql "SELECT sold_energy FROM kv.meter_state WHERE meter_number = $M")
expect 0 "office 2: a category with 10 kWh free a month" b category set --code lifeline --tariff DEFAULT --name Lifeline --free 10
expect 0 "customer 7 in it" b customer category --account ACC-7 --set lifeline
expect 0 "office 2 gives the month's free allocation alone" b --card-file new1.card sell --meter $M --free-only
expect 0 "office 2 syncs it" b sync --once
same "/central/push/free-allocation-alone: head office holds it (amount:credit:free)" \
    "$(apsql "SELECT amount || ':' || energy || ':' || free_energy FROM kv.sales
              WHERE station_no = 201 ORDER BY local_id DESC LIMIT 1")" "0:1000:1000"
same "no conflict" "$(apsql "SELECT count(*) FROM kv.conflicts")" 0
same "what other offices sold to the meter counts the free credit" \
    "$(apsql "SELECT sold_energy - $sold_before FROM kv.meter_state WHERE meter_number = $M")" 1000

finish
