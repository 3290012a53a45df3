#!/bin/sh
# test-swap-legacy.sh METER_SIM - meter swaps and refund tokens across
# versions and what head office holds for them (run under kv-pg-harness,
# stations 101:1 201:2 102:1, with KV_REPUSH_ALL; kilovend-meter-sim is the meter):
#   a swap and a refund token made and synced by a station of an older
#   version (its batches had no transfer or refund_token records, and its
#   ledger no push_backlog): once upgraded (db/021) it pushes them, once,
#   with their audit rows; pushing everything again changes nothing;
#   a swap's reservation at head office ends when its transfer arrives, and
#   when the station gives the swap up (a later step refused it): another
#   office may act on the meters at once; a station ends only its own;
#   a station restored from a backup older than a swap whose new meter it
#   registered itself (before it joined head office): the recovery refuses
#   with what to do and changes nothing; once head office registers the
#   meter, the recovery pulls it and takes the swap back.
set -u
SIM=$(realpath "$1")
. "$(dirname "$0")/../core/ctl-common.sh"
. "$(dirname "$0")/sync-common.sh"
REPUSH=${KV_REPUSH_ALL:?}
c() { env KILOVEND_DB="$dir/c.db" "$K" "$@"; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
M=123456782
M3=222222226
# SQL as station NNNNN over TLS with its certificate (what its sync may call).
spsql() {
    psql -X -q -tA -v ON_ERROR_STOP=1 -c "$2" "host=$KV_PG_HOST port=$KV_PG_PORT dbname=$KV_PG_DB \
        user=kv_station_$(printf %05d "$1") sslmode=verify-full sslrootcert=$KV_PG_PKI/ca.crt \
        sslcert=$KV_PG_PKI/kv_station_$(printf %05d "$1").crt sslkey=$KV_PG_PKI/kv_station_$(printf %05d "$1").key"
}
reserved() {
    apsql "SELECT coalesce(string_agg(meter_number || ':' || station_no, ' ' ORDER BY meter_number), '-')
           FROM kv.card_reservations WHERE expires_at > now()"
}

two_offices $M
centre_new_meter $M3
expect 0 "office 1 pulls the new meter" a sync --once
first_card $M

# ---- a refund token and a swap made and synced by an older version ----
expect 0 "office 1 sells 2 kWh" a --card-file c1.card sell --meter $M --amount 20
"$SIM" --state meter.st --config prov.bin insert c1.card >/dev/null || fail "the meter loads the card"
expect 0 "the card read back" a --card-file c1.card card read
refund_then_swap $M $M3
carried=$(json carried)
# The older version pushed the audit rows of the refund and the swap without
# their records, and moved its cursors past them.
expect 0 "synced as the older version did (no transfer nor refund_token records)" \
    env KILOVEND_DB="$dir/a.db" "$REPUSH" "$dir/a.db" "$dir/sync.conf" --without transfer,refund_token
same "head office holds the audit rows of the swap and the refund" \
    "$(apsql "SELECT count(*) FILTER (WHERE content->>'action' = 'meter.swap') || ':' ||
                     count(*) FILTER (WHERE content->>'action' = 'refund.unloaded')
              FROM kv.audit WHERE station_no = 101")" 1:1
same "and neither record" "$(apsql "SELECT (SELECT count(*) FROM kv.transfers) || ':' ||
                                          (SELECT count(*) FROM kv.refund_tokens)")" 0:0
# The older version's bookkeeping: no push_backlog, the schema before 021.
before021=$(grep -o '<file>[0-9]*-' "$ROOT/db/kv-db.gresource.xml" | tr -dc '0-9\n' | awk '$1 + 0 < 21' | wc -l)
sqlite3 "$dir/a.db" "DROP TABLE push_backlog; PRAGMA user_version = $before021" || fail "back to the older version"

# ---- upgraded: the next sync pushes them ----
expect 0 "the upgraded station's status (the ledger migrated)" a --json sync status
same "the swap and the refund wait: two audit rows again with their records" "$(json waiting)" 2
expect 0 "/sync/upgrade-pushes-old-swaps: sync --once" a sync --once
same "head office holds the transfer once, as the station recorded it" \
    "$(apsql "SELECT count(*) || ':' || min(local_id) || ':' || min(from_meter) || ':' || min(to_meter) || ':' || min(energy)
              FROM kv.transfers WHERE station_no = 101")" \
    "$(sqlite3 "$dir/a.db" "SELECT count(*) || ':' || min(id) || ':' || min(from_meter) || ':' || min(to_meter) || ':' || min(energy)
                            FROM transfers")"
same "/sync/upgrade-pushes-old-refund-tokens: and the refund token once" \
    "$(apsql "SELECT count(*) || ':' || min(seq) || ':' || min(cumulative_before) || ':' || min(cumulative) || ':' || min(state)
              FROM kv.refund_tokens WHERE station_no = 101")" \
    "$(sqlite3 "$dir/a.db" "SELECT count(*) || ':' || min(seq) || ':' || min(cumulative_before) || ':' || min(cumulative) || ':' || min(state)
                            FROM refund_tokens")"
same "their audit rows once each, unchanged" \
    "$(apsql "SELECT count(*) FILTER (WHERE content->>'action' = 'meter.swap') || ':' ||
                     count(*) FILTER (WHERE content->>'action' = 'refund.unloaded')
              FROM kv.audit WHERE station_no = 101")" 1:1
same "what was sold: the old meter less the refund, the new meter the credit carried" \
    "$(centre_state $M) $(centre_state $M3)" "200:0:90 $carried:$carried:0"
same "head office retired the old meter" "$(apsql "SELECT status FROM kv.meters WHERE number = $M")" removed
expect 0 "the next round pushes that pull's audit row (the old meter retired here)" a sync --once
expect 0 "status" a --json sync status
same "nothing waits" "$(json waiting)" 0
same "the queue is empty" "$(sqlite3 "$dir/a.db" "SELECT count(*) FROM push_backlog")" 0
same "the audit chain at head office verifies" "$(apsql "SELECT ok FROM kv_report.audit_chain(101)")" t

before=$(swap_fingerprint)
expect 0 "another round" a --json sync --once
same "/sync/upgrade-push-once: another round sends nothing" "$(json records)" 0
sqlite3 "$dir/a.db" "UPDATE sync_state SET pushed_audit = 0, pushed_reading = 0, pushed_engineering = 0;
                     UPDATE push_cursors SET pushed = 0" || fail "cursors back to 0"
expect 0 "every record pushed again" env KILOVEND_DB="$dir/a.db" "$REPUSH" "$dir/a.db" "$dir/sync.conf"
has out.txt " new 0" "nothing new"
same "/sync/upgrade-repush-noop: head office's records and merged state unchanged, no conflict" \
    "$(swap_fingerprint):$(apsql "SELECT count(*) FROM kv.conflicts")" "$before:0"

# ---- the swap's reservation ends with its transfer ----
same "/central/swap/reservation-released-by-transfer: no reservation left once the transfer arrived" \
    "$(reserved)" -
expect 0 "office 2 syncs (the swap and the new meter's card come down)" b sync --once
expect 0 "a blank card at office 2" b card blank lost.card
expect 0 "office 2 replaces the new meter's lost card at once" \
    b --card-file lost.card card replace --meter $M3 --reason lost
expect 0 "office 2 syncs the replacement" b sync --once

# ---- a swap given up after its reservation ends it ----
M4=333333334
centre_new_meter $M4
expect 0 "office 1 pulls another new meter" a sync --once
expect 19 "office 1's swap of the new meter refused after head office reserved it (no clear-credit readback)" \
    a meter swap --meter $M3 --new $M4 --source cleared --reason "relay stuck"
has err.txt "readback" "the refusal says why"
same "/central/swap/reservation-released-on-refusal: head office holds no reservation of the two meters" \
    "$(reserved)" -
same "office 2 may reserve the same swap at once" \
    "$(spsql 201 "SELECT kv_api.reserve_swap($M3, $M4) ->> 'status'")" ok
same "/central/swap/release-only-own: office 1 cannot end office 2's reservation" \
    "$(spsql 101 "SELECT kv_api.release_swap($M3, $M4) ->> 'released'"):$(reserved)" "0:$M3:201 $M4:201"
same "office 2 ends its own" "$(spsql 201 "SELECT kv_api.release_swap($M3, $M4) ->> 'released'"):$(reserved)" "2:-"

# ---- recovery of a swap whose new meter head office never had ----
M5=444444442
M6=555555556
expect 0 "station 102 starts alone (not joined)" \
    c init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 1 --station 102
expect 0 "its tariff" c tariff add --code DEFAULT --block 10 --from 2020-01-01
expect 0 "its own meter" c meter add --number $M5 --hoarding 100 --alarm 5 --pretrip 2
expect 0 "provision it" c meter provision --meter $M5 --out prov5.bin
expect 0 "a card" c card blank c5.card
expect 0 "issued" c --card-file c5.card card issue --meter $M5
expect 0 "a shift" c shift open
expect 0 "a sale" c --card-file c5.card sell --meter $M5 --amount 20
expect 0 "a backup" c backup "$dir/c-old.db"
"$SIM" --state meter5.st --config prov5.bin insert c5.card >/dev/null || fail "the meter loads the card"
expect 0 "the card read back" c --card-file c5.card card read
expect 0 "a blank card for the new meter" c card blank new6.card
expect 0 "the meter swapped for a new meter registered by the swap" \
    c --card-file new6.card --json meter swap --meter $M5 --new $M6 --source estimate --reason "burnt" --issue
same "the swap registered it" "$(json registered)" true
expect 0 "station 102 joins head office (everything pushed)" c sync --once
same "head office holds the transfer, and no master data of the new meter" \
    "$(apsql "SELECT (SELECT count(*) FROM kv.transfers WHERE station_no = 102) || ':' ||
                     (SELECT count(*) FROM kv.meters WHERE number = $M6)")" 1:0
expect 0 "restore the backup older than the swap" c restore "$dir/c-old.db"
expect 19 "the next sync finds the ledger behind" c sync --once
before=$(sqlite3 "$dir/c.db" "SELECT count(*) FROM audit; SELECT group_concat(number) FROM meters")
expect 19 "/sync/recover-new-meter-unknown: the recovery refuses" c sync recover
has err.txt "meter $M6 (the new meter of meter swap 1; 1 meter(s) in all)" "the refusal names the meter and the swap"
has err.txt "Register it at head office" "and what to do"
same "nothing changed: no copy kept, the same rows" \
    "$(ls "$dir" | grep -c 'c.db.before-recover'):$(sqlite3 "$dir/c.db" "SELECT count(*) FROM audit; SELECT group_concat(number) FROM meters")" \
    "0:$before"
centre_new_meter $M6
expect 0 "/sync/recover-new-meter-pulled: head office registers it; the recovery pulls it and goes on" \
    c --json sync recover
same "the swap is back: the old meter removed, the new one the customer's credit" \
    "$(sqlite3 "$dir/c.db" "SELECT (SELECT count(*) FROM transfers) || ' ' || group_concat(number || ':' || status || ':' || cumulative_sold, ' ')
                            FROM (SELECT * FROM meters WHERE number IN ($M5, $M6) ORDER BY number)")" \
    "1 $M5:removed:200 $M6:active:200"
expect 0 "and the station syncs" c sync --once
same "no conflict at head office" "$(apsql "SELECT count(*) FROM kv.conflicts WHERE station_no = 102")" 0

finish
