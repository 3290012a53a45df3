#!/bin/sh
# test-swap-refund.sh METER_SIM - refunds of unloaded credit and meter swaps
# across offices (run under kv-pg-harness, stations 101:1 201:2, with
# KV_REPUSH_ALL), the card carried between them and loaded into
# kilovend-meter-sim (the meter firmware on the host):
#   a refund of unloaded credit at office 1 reaches head office as its
#   refund token, and lowers what head office holds as sold to the meter;
#   a meter swapped at office 1 (the credit carried to a fresh meter) is
#   retired at office 2 by its next pull, which then sells on the new
#   meter's card; the new meter loads the carried credit and office 2's
#   sale, and head office's cross-office check raises no alarm;
#   a swap is reserved at head office first: another office, online but
#   not told of it yet, may not swap the meter again; offline, a swap is
#   refused;
#   every record pushed again changes nothing; a transfer rewritten in the
#   ledger and pushed again is a conflict that stops the station;
#   a reading deleted from a ledger before its push is found by head office
#   from the audit row that recorded it: a conflict that stops the station.
set -u
SIM=$(realpath "$1")
. "$(dirname "$0")/../core/ctl-common.sh"
. "$(dirname "$0")/sync-common.sh"
REPUSH=${KV_REPUSH_ALL:?}
M=123456782
M3=222222226
sim() { "$SIM" --state meter.st --config prov.bin "$@" >/dev/null; }
sim3() { "$SIM" --state meter3.st --config prov3.bin "$@" >/dev/null; }
open_alarms() { apsql "SELECT count(*) FROM kv_report.loaded_above_sold()"; }

two_offices $M
centre_new_meter $M3
expect 0 "office 1 pulls the new meter" a sync --once
expect 0 "office 2 pulls it" b sync --once
first_card $M

# ---- a refund of unloaded credit at office 1 ----
expect 0 "office 1 sells 2 kWh" a --card-file c1.card sell --meter $M --amount 20
sim insert c1.card
expect 0 "office 1 sells 0.9 kWh by mistake (not loaded)" a --card-file c1.card sell --meter $M --amount 9
expect 0 "office 1 refunds the unloaded credit (a token of lower cumulative on the card)" \
    a --card-file c1.card --json refund unloaded --meter $M --reason "wrong amount"
same "0.9 kWh refunded" "$(json energy)" 90
expect 0 "office 1 syncs" a sync --once
same "/central/swap/refund-token-pushed: head office holds the refund token (seq, cumulative, state)" \
    "$(apsql "SELECT seq || ':' || cumulative_before || ':' || cumulative || ':' || state FROM kv.refund_tokens
              WHERE station_no = 101")" \
    "$(sqlite3 "$dir/a.db" "SELECT seq || ':' || cumulative_before || ':' || cumulative || ':' || state
                            FROM refund_tokens")"
same "/central/swap/refund-lowers-sold: sold (sales less the refund), carried, refunded" "$(centre_state $M)" "200:0:90"
same "the meter's highest sequence counts the refund token" \
    "$(apsql "SELECT max_seq FROM kv.meter_state WHERE meter_number = $M")" \
    "$(sqlite3 "$dir/a.db" "SELECT seq FROM refund_tokens")"

# ---- office 2 sells on the card after the refund ----
expect 0 "office 2 syncs" b sync --once
expect 0 "office 2 sells 0.5 kWh on the card" b --card-file c1.card sell --meter $M --amount 5
same "its token continues the refund's lower cumulative" \
    "$(sqlite3 "$dir/b.db" "SELECT cumulative FROM sales ORDER BY id DESC LIMIT 1")" 250
sim insert c1.card
expect 0 "office 2 syncs" b sync --once
expect 0 "office 1 syncs" a sync --once
expect 0 "office 1 sells 0.3 kWh (never loaded: the meter dies)" a --card-file c1.card sell --meter $M --amount 3
expect 0 "office 1 reads the card back" a --card-file c1.card card read
same "head office: no alarm for the refunded meter" "$(open_alarms)" 0

# ---- the meter swapped at office 1 ----
expect 0 "a blank card for the new meter" a card blank new.card
expect 0 "office 1 swaps the dead meter, the credit carried, the new meter's card issued" \
    a --card-file new.card --json meter swap --meter $M --new $M3 --source estimate --reason "display dead" \
    --out prov3.bin --issue
carried=$(json carried)
same "carried: the 2.5 kWh left and the 0.3 kWh never loaded" "$carried" 280
expect 0 "office 1 syncs the swap" a sync --once
same "/central/swap/transfer-pushed: head office holds the transfer (from, to, energy)" \
    "$(apsql "SELECT from_meter || ':' || to_meter || ':' || energy FROM kv.transfers")" "$M:$M3:280"
same "head office: the old meter retired, the new one the customer's" \
    "$(apsql "SELECT string_agg(number || ':' || status || ':' || coalesce(customer_id::text, '-'), ' ' ORDER BY number)
              FROM kv.meters WHERE number IN ($M, $M3)")" "$M:removed:7 $M3:active:7"
same "the new meter was sold the credit carried" "$(centre_state $M3)" "280:280:0"

# ---- the swap reserved at head office first ----
expect 19 "/central/swap/reserved-at-head-office: office 2, online but not told of the swap, may not swap the meter" \
    b meter swap --meter $M --new $M3 --source estimate --reason "display dead"
has err.txt "already swapped" "the refusal names the swap"
same "office 2 wrote no transfer" "$(sqlite3 "$dir/b.db" "SELECT count(*) FROM transfers")" 0
same "head office reserved both meters for office 1" \
    "$(apsql "SELECT string_agg(meter_number || ':' || station_no, ' ' ORDER BY meter_number) FROM kv.card_reservations")" \
    "$M:101 $M3:101"
sed 's/^port = .*/port = 1/' "$dir/sync.conf" >"$dir/down.conf"
expect 1 "office 2's link fails" env KILOVEND_SYNC_CONF="$dir/down.conf" "$K" --db "$dir/b.db" sync --once
expect 19 "/central/swap/offline-refused: offline, a swap is refused before head office is asked" \
    b meter swap --meter $M --new $M3 --source estimate --reason "display dead"
has err.txt "offline" "the refusal says the station is offline"
same "still no transfer at office 2" "$(sqlite3 "$dir/b.db" "SELECT count(*) FROM transfers")" 0

# ---- office 2 learns of it, sells on the new meter's card ----
expect 0 "office 2 pulls" b sync --once
same "/central/swap/retired-everywhere: office 2 holds the old meter as removed" \
    "$(sqlite3 "$dir/b.db" "SELECT status FROM meters WHERE number = $M")" removed
expect 19 "office 2 refuses a sale on the retired meter" b --card-file c1.card sell --meter $M --amount 5
has err.txt "is removed" "the refusal says the meter is removed"
expect 0 "office 2 sells 1 kWh on the new meter's card" b --card-file new.card sell --meter $M3 --amount 10
same "its token continues the carried credit" \
    "$(sqlite3 "$dir/b.db" "SELECT cumulative FROM sales ORDER BY id DESC LIMIT 1")" 380
sim3 insert new.card
expect 0 "office 2 reads the new meter's card back" b --card-file new.card card read
same "office 2's own check: no anomaly" \
    "$(sqlite3 "$dir/b.db" "SELECT count(*) FROM anomalies WHERE kind = 'loaded-above-sold'")" 0
expect 0 "office 2 syncs" b sync --once
same "head office: the new meter loaded the carried credit and office 2's sale" \
    "$(apsql "SELECT rb_loaded || ':' || sold_energy FROM kv.meter_state WHERE meter_number = $M3")" "380:380"
same "/central/swap/carried-credit-not-flagged: head office raises no alarm" "$(open_alarms)" 0
expect 0 "office 1 syncs" a sync --once
same "office 1's sold totals of the new meter as head office's" \
    "$(sqlite3 "$dir/a.db" "SELECT sold_energy FROM meter_remote WHERE meter_number = $M3")" 380
same "no conflict" "$(apsql "SELECT count(*) FROM kv.conflicts")" 0

# ---- every record pushed again: nothing changes ----
before=$(swap_fingerprint)
sqlite3 "$dir/a.db" "UPDATE sync_state SET pushed_audit = 0, pushed_reading = 0, pushed_engineering = 0;
                     UPDATE push_cursors SET pushed = 0" || fail "cursors back to 0"
expect 0 "office 1 pushes every record again" env KILOVEND_DB="$dir/a.db" "$REPUSH" "$dir/a.db" "$dir/sync.conf"
has out.txt " new 0" "nothing new"
same "/central/swap/repush-is-noop: every record, the merged state and the meters unchanged" "$(swap_fingerprint)" "$before"

# ---- a transfer rewritten and pushed again: a conflict ----
sqlite3 "$dir/a.db" "UPDATE transfers SET remaining = remaining + 100, energy = energy + 100;
                     UPDATE sync_state SET pushed_audit = 0, pushed_reading = 0, pushed_engineering = 0;
                     UPDATE push_cursors SET pushed = 0" || fail "the cashier's edit"
expect 1 "/central/swap/rewritten-transfer-conflict: the rewritten transfer is refused" \
    env KILOVEND_DB="$dir/a.db" "$REPUSH" "$dir/a.db" "$dir/sync.conf"
same "the conflict is kept, the station stopped" \
    "$(conflict_of 101)" "transfer:stopped"
same "head office keeps the first content" "$(apsql "SELECT energy FROM kv.transfers")" 280
expect 19 "office 1's next sync stops" a sync --once

# ---- insider: a reading deleted from the ledger before its push ----
held=$(apsql "SELECT count(*) FROM kv.sales WHERE station_no = 201")
expect 0 "office 2 sells 1 kWh more on the new meter's card" b --card-file new.card sell --meter $M3 --amount 10
sim3 insert new.card
expect 0 "office 2 reads the card back" b --card-file new.card card read
sqlite3 "$dir/b.db" "DELETE FROM meter_readings WHERE id = (SELECT max(id) FROM meter_readings)" ||
    fail "the cashier deletes the reading"
expect 19 "/central/insider/readback-deleted-before-push: the sync is refused" b sync --once
has err.txt "was not pushed as recorded" "the alarm says a recorded reading was not pushed"
same "head office keeps the conflict (the audit row of the reading) and stops the station" \
    "$(conflict_of 201)" "audit:stopped"
same "nothing of the batch was stored (the sale with it)" \
    "$(apsql "SELECT count(*) FROM kv.sales WHERE station_no = 201")" "$held"

finish
