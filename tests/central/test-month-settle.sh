#!/bin/sh
# test-month-settle.sh - the month's blocks and fixed charge settled at head
# office (run under kv-pg-harness, stations 101:1 201:2; docs/multi-office.md,
# "The month's blocks settled at head office"): office 2 sells a meter
# office 1 sold that month without having pulled office 1's sale (the first
# block twice, the fixed charge twice); head office reprices the month on
# every office's sales and books the difference once as a visible debt
# adjustment that reaches the stations; settling again changes nothing; a
# sale pushed late settles only the rest; a cancelled sale does not count.
set -u
. "$(dirname "$0")/../core/ctl-common.sh"
. "$(dirname "$0")/sync-common.sh"
M=123456782
month() { apsql "SELECT date_trunc('month', kv.day_of(max(created_at), kv.zone()))::date FROM kv.sales"; }
settle() { apsql "SELECT coalesce(string_agg(amount || '|' || reason, ';' ORDER BY meter_number), '-')
                  FROM kv.month_blocks_settle('$(month)')"; }
settled() { apsql "SELECT coalesce(sum(amount), 0) || ':' || count(*) FROM kv.month_settlements"; }
centre_debt() { apsql "SELECT debt FROM kv.customers WHERE id = 7"; }
sold() { sqlite3 "$dir/$1.db" "SELECT amount || ':' || energy || ':' || fixed_charge FROM sales ORDER BY id DESC LIMIT 1"; }

# 10.00 a kWh up to 10 kWh a month, 20.00 above; 5.00 fixed once a month;
# no VAT (price_e4: 10^-4 minor units per kWh; energy in 0.01 kWh).
P1=1000 P2=2000 FIXED=500
two_offices $M
apsql "UPDATE kv.tariff_versions SET fixed_monthly = $FIXED,
           blocks = '[{\"upto\": 1000, \"price_e4\": 10000000}, {\"upto\": null, \"price_e4\": 20000000}]'" >/dev/null
first_card $M
expect 0 "office 1 pushes the card, pulls the tariff" a sync --once
expect 0 "office 2 pulls the card and the tariff (then goes offline)" b sync --once

# ---- office 1 sells 55.00: 5.00 fixed, 5 kWh in the first block ----
expect 0 "office 1 sells 55.00" a --card-file c1.card sell --meter $M --amount 55
same "office 1: 55.00 for 5 kWh and the fixed charge" "$(sold a)" "5500:500:500"
expect 0 "office 1 syncs" a sync --once
# ---- office 2, offline, knows nothing of it: 105.00 = 5.00 fixed + 10 kWh
# in the first block ----
expect 0 "office 2 (not synced) sells 105.00" b --card-file c1.card sell --meter $M --amount 105
same "office 2: the fixed charge again and 10 kWh of first block" "$(sold b)" "10500:1000:500"
expect 0 "office 2 comes back online and syncs" b sync --once
same "nothing settled yet: the customer owes nothing" "$(centre_debt)" 0

# One station knowing both sales: office 2's 10 kWh start at 5 kWh: 5 kWh at
# 10.00 and 5 kWh at 20.00, no fixed charge.
right=$((5 * P1 + 5 * P2))
due=$((right - 10500))
same "by hand: 45.00 due" "$due" 4500
same "/central/month-settle/first-block-and-fixed-twice: head office books the difference once" \
    "$(settle)" \
    "$due|month $(month | cut -c1-7), meter $M: fixed charge paid 2 times; a lower block counted twice, 45.00 due"
same "the customer's balance at head office" "$(centre_debt)" "$due"
same "the settlement recorded with its movement" \
    "$(apsql "SELECT s.amount || ':' || d.kind || ':' || d.amount FROM kv.month_settlements s
              JOIN kv.debt_central d ON d.id = s.movement_id")" "$due:adjusted:$due"
same "the report" "$(apsql "SELECT account || ':' || amount FROM kv_report.month_settlements('$(month)')")" "ACC-7:$due"
"$KV_CENTRAL_REPORT" settlements "$(month | cut -c1-7)" >out.txt 2>&1 || fail "central-report.sh settlements"
has out.txt "a lower block counted twice" "central-report.sh settlements shows the reason"

expect 0 "office 2 pulls" b sync --once
same "/central/month-settle/reaches-the-station: office 2 books it as a visible settling adjustment" \
    "$(sqlite3 "$dir/b.db" "SELECT kind || ':' || amount || ':' || settlement FROM debt_movements ORDER BY id DESC LIMIT 1")" \
    "adjusted:$due:1"

same "/central/month-settle/idempotent: settling again books nothing" "$(settle)" "-"
same "still one settlement" "$(settled)" "$due:1"

# ---- a sale pushed late: office 1 has not pulled office 2's sale; it sells
# 20.00 on its own 5 kWh: 2 kWh of first block ----
sleep 1 # (a later second than office 2's sale: the month's order is created_at)
expect 0 "office 1 (not pulled since) sells 20.00" a --card-file c1.card sell --meter $M --amount 20
same "office 1: 2 kWh of first block, no fixed charge" "$(sold a)" "2000:200:0"
expect 0 "office 1 pushes it late" a sync --once
# right: the month was at 15 kWh: 2 kWh at 20.00 = 40.00; 20.00 charged.
late=$((2 * P2 - 2000))
same "/central/month-settle/late-sale-settles-the-rest: only its difference is booked" \
    "$(settle)" \
    "$late|month $(month | cut -c1-7), meter $M: fixed charge paid 2 times; a lower block counted twice; 45.00 due settled before, 20.00 due"
same "two settlements, the month's whole difference" "$(settled)" "$((due + late)):2"
same "the balance" "$(centre_debt)" "$((due + late))"

# ---- a cancelled sale does not count: the late sale cancelled, its
# difference goes back ----
late_sale=$(sqlite3 "$dir/a.db" "SELECT max(id) FROM sales")
expect 0 "office 1 cancels the late sale (online)" a --card-file c1.card cancel --sale "$late_sale" --reason "wrong amount"
expect 0 "office 1 pushes the cancel" a sync --once
same "/central/month-settle/cancelled-not-counted: its difference is booked back" \
    "$(settle)" \
    "-$late|month $(month | cut -c1-7), meter $M: fixed charge paid 2 times; a lower block counted twice; 65.00 due settled before, 20.00 back"
same "three settlements, the month's difference without the cancelled sale" "$(settled)" "$due:3"
same "the balance" "$(centre_debt)" "$due"
same "settling again books nothing" "$(settle)" "-"

# ---- a month that is not a month is refused ----
if apsql "SELECT * FROM kv.month_blocks_settle('2026-11-15')" >out.txt 2>&1; then
    fail "a day in the middle of a month was accepted"
fi
has out.txt "give the first day of a month" "a day that is not a month's first is refused clearly"
finish
