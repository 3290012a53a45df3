#!/bin/sh
# test-debt-settlement.sh - a customer's debt across two offices (run under
# kv-pg-harness, stations 101:1 201:2), settled by head office:
#   head office's opening balance reaches both stations as a visible
#   settling movement;
#   a debt paid at office 1 is not recovered again at office 2 once office 2
#   has synced;
#   recoveries made at both offices while neither knew of the other's add up
#   at head office, and both stations end at head office's balance (a
#   station's movements not pushed yet count on top of it);
#   each sale's payment type and reference and the debt movements reach
#   head office; the revenue by payment type report; pushing every record
#   again changes nothing.
set -u
. "$(dirname "$0")/../core/ctl-common.sh"
. "$(dirname "$0")/sync-common.sh"
REPORT=${KV_CENTRAL_REPORT:?}
M=123456782
debt_of() { sqlite3 "$dir/$1.db" "SELECT debt FROM customers WHERE id = 7"; }
centre_debt() { apsql "SELECT debt FROM kv.customers WHERE id = 7"; }
centre_fp() {
    echo "$(records_fp debt_movements payments refunds credit_clears)" \
         "$(apsql "SELECT string_agg(id || ':' || debt || ':' || changed_xid, ',' ORDER BY id) FROM kv.customers")"
}

# The customer owes 300.00 at head office; its tariff recovers half of each
# purchase.
two_offices $M 30000
apsql "UPDATE kv.tariff_versions SET debt_bp = 5000" >/dev/null
expect 0 "office 1 pulls the tariff" a sync --once
expect 0 "office 2 pulls the tariff" b sync --once
same "/central/debt/opening-settled-down: both stations owe head office's balance" \
    "$(debt_of a):$(debt_of b):$(centre_debt)" "30000:30000:30000"
expect 0 "the customer's movements at office 1" a customer debt --account ACC-7
has out.txt "head office settlement" "the settling movement is visible, with its reason"
same "marked as a settlement, made by no user" \
    "$(sqlite3 "$dir/a.db" "SELECT kind || ':' || amount || ':' || settlement || ':' || coalesce(user_id, '-') FROM debt_movements")" \
    "adjusted:30000:1:-"

# ---- paid at office 1, not charged again at office 2 ----
expect 0 "the customer pays the debt at office 1" a customer debt --account ACC-7 --adjust -300 --reason "paid at the counter"
expect 0 "office 1 syncs" a sync --once
same "head office's balance" "$(centre_debt)" 0
expect 0 "office 2 syncs" b sync --once
same "office 2 settled to it" "$(debt_of b)" 0
expect 0 "provision the meter" a meter provision --meter $M --out prov.bin
expect 0 "blank card" a card blank c1.card
expect 0 "office 1 issues the card" a --card-file c1.card card issue --meter $M
expect 0 "office 1 syncs the card" a sync --once
expect 0 "office 2 learns of the card" b sync --once
expect 0 "shift at office 2" b shift open
expect 0 "/central/debt/paid-at-a-not-charged-at-b: office 2 sells" b --json --card-file c1.card sell --meter $M --amount 20
has out.txt '"debt_recovered":"0.00"' "nothing recovered: the debt was paid at office 1"

# ---- recoveries at both offices, neither knowing of the other's ----
expect 0 "head office bills 100.00" apsql "SELECT kv.debt_adjust(7, 10000, 'bill 2026-11')"
expect 0 "office 1 syncs" a sync --once
expect 0 "office 2 syncs" b sync --once
same "both owe the bill" "$(debt_of a):$(debt_of b)" "10000:10000"
expect 0 "shift at office 1" a shift open
expect 0 "office 2 sells 20.00 (recovers 10.00)" b --card-file c1.card sell --meter $M --amount 20
expect 0 "office 2 syncs" b sync --once
expect 0 "office 1, not synced since, sells 40.00 with mobile money (recovers 20.00)" \
    a --json --card-file c1.card sell --meter $M --amount 40 --payment mobile-money --reference MM-77
has out.txt '"debt_recovered":"20.00"' "office 1 recovered from its balance"
expect 0 "office 1 syncs (its recovery not pushed at the first pull)" a sync --once
expect 0 "office 2 syncs" b sync --once
same "/central/debt/two-offices-add-up: 100.00 - 10.00 - 20.00 everywhere" \
    "$(centre_debt):$(debt_of a):$(debt_of b)" "7000:7000:7000"
same "each station's recovery once at head office" \
    "$(apsql "SELECT string_agg(station_no || ':' || amount, ',' ORDER BY station_no) FROM kv.debt_movements
              WHERE kind = 'recovered'")" "101:-2000,201:-1000"

# ---- payments at head office ----
same "/central/push/payment-type-and-reference: the sale's payment" \
    "$(apsql "SELECT p.payment || ':' || p.reference FROM kv.payments p WHERE p.station_no = 101")" "mobile-money:MM-77"
expect 0 "/central/reports/payments-by-type: revenue by payment type today" \
    "$REPORT" --csv payments "$(date -u +%Y-%m-%d)"
has out.txt "^station,1,101,mobile-money,1,4000$" "office 1's mobile money"
has out.txt "^station,2,201,cash,2,4000$" "office 2's cash"
has out.txt "^total,,,cash,2,4000$" "the utility's cash"

# ---- a refund and the credit clear it paid back (rows as kv-refunds.c
# writes them; the clear-credit card itself is core-clear-credit's) ----
sqlite3 "$dir/b.db" "INSERT INTO credit_clears(meter_number, card_serial, token_seq, readback_counter, cleared_total,
                                               amount, refunded, recorded_at)
                         SELECT $M, serial, 9, 9, 60, 60, 60, 1700000000 FROM cards LIMIT 1;
                     INSERT INTO refunds(meter_number, shift_id, kind, energy, amount, reason, created_by, created_at)
                         VALUES ($M, 1, 'cleared', 60, 600, 'moved away', 1, $(date +%s));
                     INSERT INTO refund_parts(refund_id, sale_id, energy, amount)
                         SELECT 1, id, 30, 300 FROM sales ORDER BY id LIMIT 2" || fail "the refund's rows"
expect 0 "office 2 pushes them" b sync --once
same "/central/push/refund-with-parts: the refund, its parts and the credit clear at head office" \
    "$(apsql "SELECT r.energy || ':' || r.amount || ':' || (SELECT count(*) FROM kv.refund_parts p WHERE p.station_no = 201)
              || ':' || (SELECT string_agg(cleared_total || '/' || amount, ',') FROM kv.credit_clears)
              FROM kv.refunds r WHERE r.station_no = 201")" "60:600:2:60/60"
expect 0 "/central/reports/refunds: refunds by station today" "$REPORT" --csv refunds "$(date -u +%Y-%m-%d)"
has out.txt "^station,2,201,1,60,600,2$" "office 2's refund"
has out.txt "^total,,,1,60,600,2$" "the utility's refunds"

# ---- everything pushed again ----
fp=$(centre_fp)
sqlite3 "$dir/a.db" "UPDATE push_cursors SET pushed = 0" || fail "cursors back to 0"
sqlite3 "$dir/b.db" "UPDATE push_cursors SET pushed = 0" || fail "cursors back to 0"
expect 0 "/central/debt/repush-changes-nothing: office 1 pushes every payment and movement again" a --json sync --once
expect 0 "office 2 pushes every payment, movement, refund and clear again" b --json sync --once
same "head office unchanged" "$(centre_fp)" "$fp"
same "no conflict" "$(apsql "SELECT count(*) FROM kv.conflicts")" 0
same "office 1's balance unchanged" "$(debt_of a)" 7000

finish
