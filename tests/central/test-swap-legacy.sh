#!/bin/sh
# test-swap-legacy.sh METER_SIM - meter swaps and refund tokens across
# versions and what head office holds for them (run under kv-pg-harness,
# stations 101:1 201:2, with KV_REPUSH_ALL; kilovend-meter-sim is the meter):
#   a swap and a refund token made and synced by a station of an older
#   version (its batches had no transfer or refund_token records, and its
#   ledger no push_backlog): once upgraded (db/021) it pushes them, once,
#   with their audit rows; pushing everything again changes nothing;
#   a swap's reservation at head office ends when its transfer arrives, and
#   when the station gives the swap up (a later step refused it): another
#   office may act on the meters at once; a station ends only its own.
set -u
SIM=$(realpath "$1")
. "$(dirname "$0")/../core/ctl-common.sh"
. "$(dirname "$0")/sync-common.sh"
REPUSH=${KV_REPUSH_ALL:?}
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

finish
