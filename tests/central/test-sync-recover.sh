#!/bin/sh
# test-sync-recover.sh - a station behind or forked from head office's copy
# of its ledger (run under kv-pg-harness, station 101:1):
#   `audit verify --anchor centre` checks the file against the head head
#   office holds: rows deleted from the end are detected;
#   restored from an older backup, the station refuses to sell (and to
#   sync) until `sync recover` takes its own records back and moves its
#   counters above them; then it sells and syncs without a conflict;
#   a meter swap and a refund of unloaded credit pushed, the ledger restored
#   from a backup older than both: the recovery takes them back (the swap's
#   meters and cards, what was sold) and pushing everything again is a no-op;
#   a ledger forked with records of its own is refused by the recovery.
set -u
SIM=$(realpath "$1")
. "$(dirname "$0")/../core/ctl-common.sh"
. "$(dirname "$0")/sync-common.sh"
M=123456782
M3=222222226

expect 0 "init station 101" a init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 1 --station 101
expect 0 "tariff" a tariff add --code DEFAULT --block 10 --from 2020-01-01
expect 0 "meter" a meter add --number $M --hoarding 100 --alarm 5 --pretrip 2
expect 0 "a spare meter" a meter add --number $M3 --hoarding 100 --alarm 5 --pretrip 2
expect 0 "blank card" a card blank c1.card
expect 0 "issue" a --card-file c1.card card issue --meter $M
expect 0 "shift" a shift open
expect 0 "sale 1" a --card-file c1.card sell --meter $M --amount 10
expect 0 "sync" a sync --once
expect 0 "backup" a backup "$dir/old.db"
expect 0 "sale 2" a --card-file c1.card sell --meter $M --amount 20
expect 0 "sale 3" a --card-file c1.card sell --meter $M --amount 30
expect 0 "sync" a sync --once
expect 0 "/sync/anchor-centre: the ledger reaches head office's head" a audit verify --anchor centre

# Rows deleted from the end of a copy of the file (the triggers dropped).
sqlite3 "$dir/a.db" ".backup '$dir/cut.db'"
sqlite3 "$dir/cut.db" "DROP TRIGGER audit_rows_no_delete; DROP TRIGGER audit_checkpoints_no_delete;
                      DELETE FROM audit_rows WHERE id > (SELECT max(id) - 3 FROM audit_rows);
                      DELETE FROM audit_checkpoints WHERE id > (SELECT max(id) FROM audit_rows)" ||
    fail "cutting the copy"
expect 17 "/sync/anchor-detects-deleted-tail" env KILOVEND_DB="$dir/cut.db" "$K" audit verify --anchor centre
has out.txt "deleted" "the report says rows were deleted"

# ---- restored from the older backup ----
expect 0 "restore the older backup" a restore "$dir/old.db"
expect 19 "status after the restore" a --json sync status
same "the link asks for recovery" "$(json link)" recover
expect 19 "/sync/restored-refuses-to-sell" a --card-file c1.card sell --meter $M --amount 5
has err.txt "sync recover" "the refusal names the recovery"
expect 19 "/sync/restored-refuses-cards: reading a card" a --card-file c1.card card read
expect 0 "blank card" a card blank c2.card
expect 19 "/sync/restored-refuses-cards: issuing a card (its serial may be taken)" a --card-file c2.card card replace --meter $M --reason damaged
expect 19 "sync refuses to push a restored ledger" a sync --once
same "head office has no conflict" "$(apsql "SELECT count(*) FROM kv.conflicts WHERE station_no = 101")" 0
expect 0 "/sync/recover: sync recover" a --json sync recover
same "three sales back in the ledger" "$(sqlite3 "$dir/a.db" "SELECT count(*) || ':' || max(id) FROM sales")" "3:3"
same "the meter's sequence is above them" "$(sqlite3 "$dir/a.db" "SELECT last_seq >= (SELECT max(seq) FROM sales) FROM meters WHERE number = $M")" 1
expect 0 "status after the recovery" a --json sync status
same "online again" "$(json link)" online
same "nothing waits" "$(json waiting)" 0
expect 0 "/sync/recovered-sells: a sale after the recovery" a --card-file c1.card sell --meter $M --amount 5
same "its receipt number is above head office's" "$(sqlite3 "$dir/a.db" "SELECT max(id) FROM sales")" 4
expect 0 "and it syncs" a sync --once
same "no conflict at head office" "$(apsql "SELECT count(*) FROM kv.conflicts WHERE station_no = 101")" 0
same "four sales at head office" "$(apsql "SELECT count(*) FROM kv.sales WHERE station_no = 101")" 4
expect 0 "the recovered ledger verifies against head office's head" a audit verify --anchor centre

# ---- a meter swap and a refund of unloaded credit taken back ----
expect 0 "backup before the swap" a backup "$dir/pre-swap.db"
expect 0 "provision the meter" a meter provision --meter $M --out prov.bin
"$SIM" --state meter.st --config prov.bin insert c1.card >/dev/null || fail "the meter loads the card"
expect 0 "the card read back" a --card-file c1.card card read
refund_then_swap $M $M3
expect 0 "sync" a sync --once
same "head office holds the swap and the refund token" \
    "$(apsql "SELECT (SELECT count(*) FROM kv.transfers) || ':' || (SELECT count(*) FROM kv.refund_tokens)")" 1:1
ledger_fp() {
    sqlite3 "$dir/a.db" "SELECT 'transfer', * FROM transfers ORDER BY id;
                         SELECT 'refund token', * FROM refund_tokens ORDER BY id;
                         SELECT 'meter', number, status, customer_id, tariff_code, last_seq, cumulative_sold
                             FROM meters ORDER BY number;
                         SELECT 'card', serial, status FROM cards ORDER BY serial;
                         SELECT 'clear', id, refunded FROM credit_clears ORDER BY id" | tr '\n' ' '
}
swapped=$(ledger_fp)
expect 0 "restore the backup older than the swap and the refund" a restore "$dir/pre-swap.db"
same "the restored ledger lacks them" "$(sqlite3 "$dir/a.db" "SELECT (SELECT count(*) FROM transfers) || ':' ||
                                                             (SELECT count(*) FROM refund_tokens)")" 0:0
expect 0 "sync recover" a --json sync recover
same "/sync/recover-swaps-refund-tokens: the swap and the refund token are back, the meters, cards and sold as before" \
    "$(ledger_fp)" "$swapped"
expect 16 "the old meter's card is blocked again" a --card-file c1.card sell --meter $M --amount 5
has err.txt "blocked" "the refusal says the card is blocked"
expect 0 "the recovery's own audit row synced" a sync --once
centre=$(records_fp refund_tokens transfers sales sale_states cards card_statuses refunds audit)
sqlite3 "$dir/a.db" "UPDATE sync_state SET pushed_audit = 0, pushed_reading = 0, pushed_engineering = 0;
                     UPDATE push_cursors SET pushed = 0" || fail "cursors back to 0"
expect 0 "every record pushed again" a sync --once
same "/sync/recover-swaps-repush-noop: head office's records unchanged, no conflict" \
    "$(records_fp refund_tokens transfers sales sale_states cards card_statuses refunds audit):$(apsql "SELECT count(*) FROM kv.conflicts")" \
    "$centre:0"
expect 0 "a sale on the new meter after the recovery" a --card-file new.card sell --meter $M3 --amount 10
expect 0 "and it syncs" a sync --once
same "no conflict at head office" "$(apsql "SELECT count(*) FROM kv.conflicts WHERE station_no = 101")" 0
sales=$(apsql "SELECT count(*) FROM kv.sales WHERE station_no = 101")

# ---- forked with records of its own: the recovery refuses ----
expect 0 "restore the older backup again" a restore "$dir/pre-swap.db"
sqlite3 "$dir/a.db" "UPDATE sync_state SET recover = NULL" || fail "editing the file"
expect 0 "a sale on the forked ledger (the mark removed by hand)" a --card-file c1.card sell --meter $M --amount 5
expect 19 "the next sync finds the fork" a sync --once
has err.txt "forked\|behind" "the refusal says why"
expect 19 "/sync/recover-refuses-forked-records" a sync recover
has err.txt "cannot be merged" "the refusal says the records cannot be merged"
same "head office unchanged" "$(apsql "SELECT count(*) FROM kv.sales WHERE station_no = 101")" "$sales"

finish
