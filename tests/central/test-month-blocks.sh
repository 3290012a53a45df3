#!/bin/sh
# test-month-blocks.sh - the month's tariff blocks and fixed charge across
# offices (run under kv-pg-harness, stations 101:1 201:2; docs/multi-office.md,
# "The month's blocks across offices"): a customer who bought at office 1
# is priced at office 2, once it has synced, on the month's total (the
# second block, no second fixed charge); before that sync office 2 knows
# only its own sales; a cancelled sale drops out of the month's total; head
# office's summaries agree with the records throughout.
set -u
. "$(dirname "$0")/../core/ctl-common.sh"
. "$(dirname "$0")/sync-common.sh"
M=123456782
sold() { # sold STATION: the last sale's energy and fixed charge
    sqlite3 "$dir/$1.db" "SELECT energy || ':' || fixed_charge FROM sales ORDER BY id DESC LIMIT 1"
}
check_summaries() {
    same "$1" "$(apsql "SELECT count(*) FROM kv.summary_check()")" 0
}

# 10.00 a kWh up to 10 kWh a month, 20.00 above; 5.00 fixed once a month.
two_offices $M
apsql "UPDATE kv.tariff_versions SET fixed_monthly = 500,
           blocks = '[{\"upto\": 1000, \"price_e4\": 10000000}, {\"upto\": null, \"price_e4\": 20000000}]'" >/dev/null
expect 0 "office 1 pulls the tariff" a sync --once
expect 0 "office 2 pulls the tariff" b sync --once
card_at_a $M

# ---- 55.00 at office 1: 5.00 fixed, 5 kWh in the first block ----
expect 0 "office 1 sells 55.00" a --card-file c1.card sell --meter $M --amount 55
same "office 1: 5 kWh and the fixed charge" "$(sold a)" "500:500"
expect 0 "office 1 syncs" a sync --once
same "head office's month for the meter" \
    "$(apsql "SELECT station_no || ':' || energy || ':' || fixed_paid FROM kv.meter_month WHERE meter_number = $M")" "101:500:1"

# ---- 100.00 at office 2 after its sync: 5 kWh left in the first block
# (50.00), 2.5 kWh in the second (50.00); no second fixed charge ----
expect 0 "office 2 syncs (the card and the month's blocks)" b sync --once
same "office 2 holds office 1's month" \
    "$(sqlite3 "$dir/b.db" "SELECT station_no || ':' || energy || ':' || fixed_paid FROM month_blocks_remote WHERE meter_number = $M")" \
    "101:500:1"
expect 0 "/central/blocks/priced-on-the-month-total: office 2 sells 100.00" \
    b --card-file c1.card sell --meter $M --amount 100
same "office 2: 7.5 kWh, no fixed charge" "$(sold b)" "750:0"

# ---- office 1, not synced since, knows only its own 5 kWh: its next
# 100.00 gets 5 kWh + 2.5 kWh as well, from its own total (5 kWh) ----
expect 0 "office 1 sells 100.00 before pulling office 2's sale" a --card-file c1.card sell --meter $M --amount 100
same "office 1 priced on its own 5 kWh (its pull had not brought office 2's)" "$(sold a)" "750:0"
expect 0 "office 2 syncs" b sync --once
expect 0 "office 1 syncs (pushes, then pulls office 2's)" a sync --once
same "office 1 holds office 2's month" \
    "$(sqlite3 "$dir/a.db" "SELECT station_no || ':' || energy FROM month_blocks_remote WHERE meter_number = $M")" "201:750"
expect 0 "/central/blocks/both-offices-count: office 1 sells 40.00 (all in the second block: 12.5 + 7.5 kWh used)" \
    a --card-file c1.card sell --meter $M --amount 40
same "office 1: 2 kWh at 20.00" "$(sold a)" "200:0"
check_summaries "/central/reports/summaries-agree: head office's summaries equal the records"

# ---- a cancelled sale drops out of the month ----
last=$(sqlite3 "$dir/a.db" "SELECT max(id) FROM sales")
expect 0 "office 1 syncs its last sale" a sync --once
expect 0 "office 1's last sale cancelled (pushed: online)" a --card-file c1.card cancel --sale "$last" --reason "wrong amount"
expect 0 "office 1 syncs the cancel" a sync --once
same "head office's month for office 1: 5 + 7.5 kWh" \
    "$(apsql "SELECT energy FROM kv.meter_month WHERE meter_number = $M AND station_no = 101")" 1250
expect 0 "office 2 syncs" b sync --once
same "/central/blocks/cancel-drops-out: office 2's copy follows" \
    "$(sqlite3 "$dir/b.db" "SELECT energy FROM month_blocks_remote WHERE meter_number = $M AND station_no = 101")" 1250
check_summaries "summaries agree after the cancel"

finish
