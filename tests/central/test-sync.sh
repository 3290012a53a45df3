#!/bin/sh
# test-sync.sh - stations on card files syncing with a real head office
# (run under kv-pg-harness, stations 101:1 102:1 201:2):
#   station numbers: serials and tokens carry the station's number;
#   sync status before and after; `sync --once` pushes every record, the
#   head office's audit chain ends at the station's head;
#   sync killed after head office committed (sync-after-commit), before
#   the send (sync-before-send) and mid-pull (sync-mid-pull): the next
#   round is a no-op for what arrived, nothing doubled, nothing lost;
#   a rewritten sale in the SQLite file is a conflict: sync stops with an
#   alarm and head office keeps the first content.
set -u
. "$(dirname "$0")/../core/ctl-common.sh"
SYNC_BATCH=7
. "$(dirname "$0")/sync-common.sh"
central_fp() { records_fp sales sale_states cards audit readbacks; }

# ---- station identity ----
expect 0 "init station 101 (office 1)" a init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 1 --station 101
expect 0 "settings" a --json setting show
same "station_no setting" "$(json station_no)" 101
expect 0 "tariff" a tariff add --code DEFAULT --block 10 --from 2020-01-01
expect 0 "meter" a meter add --number 123456782 --hoarding 100 --alarm 5 --pretrip 2
expect 0 "blank card" a card blank c1.card
expect 0 "issue" a --card-file c1.card card issue --meter 123456782
same "/sync/station-no-in-serial: the card serial is station << 20 | 1" \
    "$(sqlite3 "$dir/a.db" "SELECT serial FROM cards")" $((101 * 1048576 + 1))
expect 19 "/sync/station-no-fixed: station_no fixed once a card is issued" a setting set station_no 102
expect 0 "shift" a shift open --float 0
expect 0 "sale 1" a --card-file c1.card sell --meter 123456782 --amount 10
expect 0 "sale 2" a --card-file c1.card sell --meter 123456782 --amount 20
same "/sync/station-no-in-token: the token's office field is the station" \
    "$(sqlite3 "$dir/a.db" "SELECT group_concat(DISTINCT office) FROM sales")" 101

# ---- a ledger from before station numbers (schema 4, before 006 and the
# migrations after it): its office is its number ----
c() { env KILOVEND_DB="$dir/c.db" "$K" "$@"; }
expect 0 "init an office-7 ledger" c init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 7
expect 0 "tariff" c tariff add --code DEFAULT --block 10 --from 2020-01-01
expect 0 "meter" c meter add --number 123456782 --hoarding 100 --alarm 5 --pretrip 2
expect 0 "blank card" c card blank c7.card
expect 0 "a card of office 7" c --card-file c7.card card issue --meter 123456782
# (008-money.sql taken back as tests/core/core-fixture.h MONEY_008_UNDONE
# and test-money.c do: its tables, triggers and columns)
# (021-push-backlog.sql taken back as core-fixture.h BACKLOG_021_UNDONE does)
sqlite3 "$dir/c.db" "DROP TABLE push_backlog" || fail "021 taken back"
# (020-compact-audit.sql taken back as core-fixture.h COMPACT_AUDIT_020_UNDONE does:
# the audit table again, its rows read back through the view)
sqlite3 "$dir/c.db" "CREATE TEMP TABLE audit_undo AS SELECT id, at, user_id, action, object, detail,
                     coalesce(hash, zeroblob(32)) AS hash, mac FROM audit ORDER BY id;
                     DROP VIEW audit; DROP TABLE audit_rows;
                     DROP TABLE audit_checkpoints; DROP TABLE audit_head; DROP TABLE audit_actions;
                     DROP TABLE audit_kinds; DROP TRIGGER IF EXISTS sync_state_pushed_sale;
                     CREATE TABLE audit (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, user_id INTEGER,
                     action TEXT NOT NULL, object TEXT NOT NULL, detail TEXT NOT NULL,
                     hash BLOB NOT NULL CHECK (length(hash) = 32),
                     mac BLOB CHECK (mac IS NULL OR length(mac) = 32)) STRICT;
                     INSERT INTO audit SELECT * FROM temp.audit_undo ORDER BY id;
                     CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
                     SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                     CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN
                     SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                     CREATE INDEX audit_clears ON audit(object) WHERE action IN ('meter.credit-cleared',
                     'refund.cleared', 'meter.swap');
                     DROP INDEX sales_customer; CREATE INDEX sales_customer ON sales(customer_id, created_at);
                     CREATE INDEX sales_reconcile ON sales(meter_number, seq, state, base_cumulative, cumulative);" ||
    fail "020 taken back"
# (019-month-blocks.sql taken back as core-fixture.h MONTH_BLOCKS_019_UNDONE does)
sqlite3 "$dir/c.db" "DROP TABLE month_blocks_remote" || fail "019 taken back"
# (016-compact-ledger.sql taken back as core-fixture.h COMPACT_016_UNDONE does)
sqlite3 "$dir/c.db" "ALTER TABLE audit ADD COLUMN prev_hash BLOB;
                     CREATE INDEX sales_meter ON sales(meter_number, created_at);" || fail "016 taken back"
# (015-free-energy.sql taken back as core-fixture.h FREE_015_UNDONE does)
sqlite3 "$dir/c.db" "DROP TRIGGER free_days_insert; DROP TRIGGER free_days_update;
                     DROP TRIGGER free_days_delete; DROP TABLE free_days; DROP INDEX sales_free_month; DROP INDEX sales_grants;
                     PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace(replace(replace(sql,
                     'CHECK (amount >= 0),', 'CHECK (amount > 0),'),
                     'CHECK (energy >= 0 AND (energy > 0) = (amount > 0)),', 'CHECK (energy > 0),'),
                     'CHECK (cumulative = base_cumulative + energy + free_energy AND energy + free_energy > 0 AND (free_energy > 0) = (free_month IS NOT NULL) AND (free_month IS NULL OR customer_id IS NOT NULL)),',
                     'CHECK (cumulative = base_cumulative + energy),')
                     WHERE type = 'table' AND name = 'sales'; PRAGMA writable_schema = RESET;
                     ALTER TABLE sales DROP COLUMN free_month; ALTER TABLE sales DROP COLUMN free_energy;
                     ALTER TABLE customer_categories DROP COLUMN free_energy;" || fail "015 taken back"
sqlite3 "$dir/c.db" "ALTER TABLE engineering_tokens DROP COLUMN emergency_kwh;
                     DROP TABLE push_cursors; ALTER TABLE debt_movements DROP COLUMN settlement;
                     DROP TRIGGER debt_only_by_movements; DROP TRIGGER sales_days_insert;
                     DROP TRIGGER sales_days_update; DROP TRIGGER sales_days_delete; DROP TABLE sales_days;
                     DROP TABLE debt_movements; DROP TABLE debt_plans; DROP INDEX customers_in_debt;
                     ALTER TABLE customers DROP COLUMN category; DROP TABLE customer_categories;
                     DROP TRIGGER customers_last_purchase_insert; DROP TRIGGER customers_last_purchase_update;
                     DROP INDEX customers_last_purchase; ALTER TABLE customers DROP COLUMN last_purchase;
                     DROP INDEX sales_payment_ref; ALTER TABLE sales DROP COLUMN payment;
                     ALTER TABLE sales DROP COLUMN payment_ref;
                     DROP TABLE sync_state; DROP TABLE meter_remote; DROP TABLE key_holdings;
                     DROP TABLE refund_tokens; DROP TABLE transfers;
                     DROP TABLE refund_parts; DROP TABLE refunds; DROP TABLE credit_clears;
                     DROP TABLE debt_ledger_start; DROP INDEX audit_clears;
                     DELETE FROM settings WHERE key = 'station_no';
                     PRAGMA user_version = 4" || fail "back to schema 4"
expect 0 "the old ledger opens (migrated)" c --json setting show
same "/sync/migration-keeps-numbers: station number = the old office id" "$(json station_no)" 7
expect 0 "replace its card" c card blank c7b.card
expect 0 "a replacement card" c --card-file c7b.card card replace --meter 123456782 --reason damaged
same "serials go on in the same range" "$(sqlite3 "$dir/c.db" "SELECT group_concat(serial) FROM cards")" \
    "$((7 * 1048576 + 1)),$((7 * 1048576 + 2))"

# ---- the first sync ----
expect 0 "status before any sync" a --json sync status
same "not joined yet" "$(json link)" not-joined
waiting=$(json waiting)
[ "$waiting" -gt 0 ] || fail "records wait before the first sync"
expect 0 "/sync/once: sync --once" a --json sync --once
[ "$(json batches)" -ge 2 ] || fail "batches of 7 audit rows: more than one batch"
expect 0 "status after sync" a --json sync status
same "online" "$(json link)" online
same "nothing waits" "$(json waiting)" 0
same "sales at head office" "$(apsql "SELECT count(*) FROM kv.sales WHERE station_no = 101")" 2
same "completed at head office" "$(apsql "SELECT sold_count FROM kv.meter_state WHERE meter_number = 123456782")" 2
local_head=$(a audit head)
same "/sync/audit-head: head office's chain ends at the station's head" \
    "$(apsql "SELECT audit_head_id || '-' || upper(encode(audit_head_hash, 'hex')) FROM kv.stations WHERE station_no = 101")" \
    "$(echo "$local_head" | tr 'a-f' 'A-F')"
same "the card at head office" "$(apsql "SELECT station_no || ':' || status FROM kv.card_state WHERE serial = $((101 * 1048576 + 1))")" "101:active"

# ---- killed after head office committed, before the cursor was saved ----
# In one batch (big.conf): the next round finds head office's chain at the
# station's head, moves the cursor there and sends nothing again.
sed 's/^batch = 7$/batch = 500/' sync.conf >big.conf
expect 0 "sale 3" a --card-file c1.card sell --meter 123456782 --amount 30
KILOVEND_TEST_STOP=sync-after-commit "$K" --db "$dir/a.db" --quiet sync --once --config big.conf &
kill_at_stop $!
expect 0 "status after the kill" a --json sync status
[ "$(json waiting)" -gt 0 ] || fail "the cursor was not saved: records still wait"
fp1=$(central_fp)
expect 0 "/sync/after-commit-replay: the next round" a --json sync --once --config big.conf
same "the next round stored nothing new" "$(central_fp)" "$fp1"
same "no conflict" "$(apsql "SELECT count(*) FROM kv.conflicts WHERE station_no = 101")" 0
same "three sales, once each" "$(apsql "SELECT count(*) FROM kv.sales WHERE station_no = 101")" 3
expect 0 "status" a --json sync status
same "nothing waits after the replay" "$(json waiting)" 0
# In batches of 7: killed after the first; the rest follows, nothing twice.
expect 0 "sale 3b" a --card-file c1.card sell --meter 123456782 --amount 5
expect 0 "sale 3c" a --card-file c1.card sell --meter 123456782 --amount 5
KILOVEND_TEST_STOP=sync-after-commit "$K" --db "$dir/a.db" --quiet sync --once &
kill_at_stop $!
expect 0 "the next round" a sync --once
same "every audit row once" "$(apsql "SELECT count(*) || ':' || max(local_id) FROM kv.audit WHERE station_no = 101")" \
    "$(sqlite3 "$dir/a.db" "SELECT count(*) || ':' || max(id) FROM audit")"
same "five sales, once each" "$(apsql "SELECT count(*) FROM kv.sales WHERE station_no = 101")" 5

# ---- killed before the send ----
expect 0 "sale 4" a --card-file c1.card sell --meter 123456782 --amount 40
KILOVEND_TEST_STOP=sync-before-send "$K" --db "$dir/a.db" --quiet sync --once &
kill_at_stop $!
same "/sync/before-send: nothing of sale 4 arrived" "$(apsql "SELECT count(*) FROM kv.sales WHERE station_no = 101")" 5
expect 0 "the next round" a sync --once
same "sale 4 arrived once" "$(apsql "SELECT count(*) FROM kv.sales WHERE station_no = 101")" 6

# ---- killed mid-pull: the pull's transaction is not committed ----
cursor_before=$(sqlite3 "$dir/a.db" "SELECT pull_cursor FROM sync_state")
apsql "INSERT INTO kv.customers(id, account, name, created_at) VALUES (900, 'ACC-900', 'Ama Mensah', 1700000000)" >/dev/null
KILOVEND_TEST_STOP=sync-mid-pull "$K" --db "$dir/a.db" --quiet sync --once &
kill_at_stop $!
same "/sync/mid-pull: nothing of the killed pull stayed" \
    "$(sqlite3 "$dir/a.db" "SELECT count(*) FROM customers WHERE account = 'ACC-900'"):$(sqlite3 "$dir/a.db" "SELECT pull_cursor FROM sync_state")" \
    "0:$cursor_before"
expect 0 "the next round" a sync --once
same "the customer came down" "$(sqlite3 "$dir/a.db" "SELECT name FROM customers WHERE account = 'ACC-900'")" "Ama Mensah"

# ---- the daemon: a sale reaches head office with no command ----
"$K" --db "$dir/a.db" --quiet sync --daemon --interval 1 >daemon.txt 2>&1 &
daemon=$!
expect 0 "a sale while the daemon runs" a --card-file c1.card sell --meter 123456782 --amount 7
want=$(sqlite3 "$dir/a.db" "SELECT max(id) FROM sales")
n=0
while [ "$(apsql "SELECT count(*) FROM kv.sales WHERE station_no = 101 AND local_id = $want")" != 1 ] && [ $n -lt 600 ]; do
    sleep 0.1; n=$((n + 1))
done
same "/sync/daemon: the sale reached head office" "$(apsql "SELECT count(*) FROM kv.sales WHERE station_no = 101 AND local_id = $want")" 1
kill "$daemon"
wait "$daemon" 2>/dev/null

# ---- a sale rewritten in the SQLite file: a conflict, sync stops ----
# The last sale (pushed) gets another amount, then its cancellation sends its
# record again.
last=$(sqlite3 "$dir/a.db" "SELECT max(id) FROM sales")
amount=$(sqlite3 "$dir/a.db" "SELECT amount FROM sales WHERE id = $last")
sqlite3 "$dir/a.db" "UPDATE sales SET fixed_charge = fixed_charge + 100, amount = amount + 100 WHERE id = $last" ||
    fail "editing the file"
expect 0 "cancel the rewritten sale" a --card-file c1.card cancel --sale "$last" --reason "test"
expect 19 "/sync/rewritten-sale-conflict: sync refuses" a sync --once
has err.txt "refused a record" "the alarm names the refusal"
same "head office kept the first content" "$(apsql "SELECT content->>'amount' FROM kv.sales WHERE station_no = 101 AND local_id = $last")" "$amount"
same "the conflict is kept" "$(apsql "SELECT count(*) FROM kv.conflicts WHERE station_no = 101 AND resolved_at IS NULL")" 1
expect 19 "status raises the alarm" a --json sync status
same "link stopped" "$(json link)" stopped
expect 19 "selling stops while sync is stopped" a --card-file c1.card sell --meter 123456782 --amount 10
has err.txt "conflict" "the refusal says why"
same "the alarm is audited" "$(sqlite3 "$dir/a.db" "SELECT count(*) FROM audit WHERE action = 'sync.conflict'")" 1

# ---- the issuer of a station that syncs is its number ----
expect 19 "/sync/issuer-is-station-number: another station's issuer refused" a setting set token_issuer 102
expect 0 "its own number" a setting set token_issuer 101

finish
