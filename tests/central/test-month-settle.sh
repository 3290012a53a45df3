#!/bin/sh
# test-month-settle.sh - the month's blocks and fixed charge settled at head
# office (run under kv-pg-harness, stations 101:1 201:2; docs/multi-office.md,
# "The month's blocks settled at head office"): office 2 sells a meter
# office 1 sold that month without having pulled office 1's sale (the first
# block twice, the fixed charge twice); head office reprices the month on
# every office's sales and books the difference once as a visible debt
# adjustment that reaches the stations; settling again changes nothing; a
# sale pushed late settles only the rest; a cancelled sale does not count.
# A declining-block tariff the other way round: both offices charge the
# dearer first block, the month's total is negative, the customer's credit
# is booked once and paid back once.
set -u
. "$(dirname "$0")/../core/ctl-common.sh"
. "$(dirname "$0")/sync-common.sh"
M=123456782
month() { apsql "SELECT date_trunc('month', kv.day_of(max(created_at), kv.zone()))::date FROM kv.sales"; }
settle() { apsql "SELECT coalesce(string_agg(amount || '|' || reason, ';' ORDER BY meter_number), '-')
                  FROM kv.month_blocks_settle('$(month)')"; }
# settled [METER]: the sum and count of the settlements (of METER)
settled() { apsql "SELECT coalesce(sum(amount), 0) || ':' || count(*) FROM kv.month_settlements
                   WHERE meter_number = coalesce(${1:-NULL}, meter_number)"; }
# centre_debt [CUSTOMER]: head office's balance (of customer 7)
centre_debt() { apsql "SELECT debt FROM kv.customers WHERE id = ${1:-7}"; }
sold() { sqlite3 "$dir/$1.db" "SELECT amount || ':' || energy || ':' || fixed_charge FROM sales ORDER BY id DESC LIMIT 1"; }

energy() { sqlite3 "$dir/$1.db" "SELECT energy FROM sales ORDER BY id DESC LIMIT 1"; }

# 10.00 a kWh up to 10 kWh a month, 20.00 above; 5.00 fixed once a month;
# 16 % VAT (price_e4: 10^-4 minor units per kWh; energy in 0.01 kWh).
P1=10000000 P2=20000000 FIXED=500 VAT=1600
# cost POS E: 10^-6 minor units of E bought from the month's POS
cost() {
    in1=$((1000 - $1))
    [ $in1 -gt 0 ] || in1=0
    [ $in1 -lt "$2" ] || in1=$2
    echo $((in1 * P1 + ($2 - in1) * P2))
}
# price COST_E6 FIXED: a sale's energy priced (kv_tariff_price_energy_rule):
# whole minor units rounded up, the fixed charge, VAT rounded half up
price() {
    n=$((($1 + 999999) / 1000000 + $2))
    echo $((n + (n * VAT + 5000) / 10000))
}
two_offices $M
apsql "UPDATE kv.tariff_versions SET fixed_monthly = $FIXED, vat_bp = $VAT,
           blocks = '[{\"upto\": 1000, \"price_e4\": 10000000}, {\"upto\": null, \"price_e4\": 20000000}]'" >/dev/null
first_card $M
expect 0 "office 1 pushes the card, pulls the tariff" a sync --once
expect 0 "office 2 pulls the card and the tariff (then goes offline)" b sync --once

# ---- office 1 sells 55.00: 5.00 fixed, 5 kWh in the first block ----
expect 0 "office 1 sells 55.00" a --card-file c1.card sell --meter $M --amount 55
# 55.00 = 7.59 VAT + 5.00 fixed + 42.41 for 4.24 kWh (42.40, the rest too little for 0.01 kWh)
same "office 1: 4.24 kWh and the fixed charge" "$(sold a)" "5500:424:500"
ea=$(energy a)
expect 0 "office 1 syncs" a sync --once
# ---- office 2, offline, knows nothing of it: 105.00 = 14.48 VAT + 5.00
# fixed + 8.55 kWh in the first block ----
expect 0 "office 2 (not synced) sells 105.00" b --card-file c1.card sell --meter $M --amount 105
same "office 2: the fixed charge again and 8.55 kWh of first block" "$(sold b)" "10500:855:500"
eb=$(energy b)
expect 0 "office 2 comes back online and syncs" b sync --once
same "nothing settled yet: the customer owes nothing" "$(centre_debt)" 0

# One station knowing both sales: office 1's sale as it was; office 2's
# 8.55 kWh start at 4.24 kWh: 5.76 kWh at 10.00 and 2.79 kWh at 20.00, no
# fixed charge (113.40 + 18.14 VAT); it was charged 85.50 + 5.00 + 14.48.
due=$(($(price "$(cost 0 "$ea")" $FIXED) - $(price $((ea * P1)) $FIXED)
       + $(price "$(cost "$ea" "$eb")" 0) - $(price $((eb * P1)) $FIXED)))
same "by hand: 26.56 due" "$due" 2656
same "/central/month-settle/first-block-and-fixed-twice: head office books the difference once" \
    "$(settle)" \
    "$due|month $(month | cut -c1-7), meter $M: fixed charge paid 2 times; a lower block counted twice, 26.56 due"
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
# 20.00 on its own 4.24 kWh: 1.72 kWh of first block ----
sleep 1 # (a later second than office 2's sale: the month's order is created_at)
expect 0 "office 1 (not pulled since) sells 20.00" a --card-file c1.card sell --meter $M --amount 20
same "office 1: 1.72 kWh of first block, no fixed charge" "$(sold a)" "2000:172:0"
el=$(energy a)
expect 0 "office 1 pushes it late" a sync --once
# right: the month was at 12.79 kWh: 1.72 kWh at 20.00 (34.40 + 5.50 VAT);
# charged 17.20 + 2.75 VAT.
late=$(($(price "$(cost $((ea + eb)) "$el")" 0) - $(price $((el * P1)) 0)))
same "by hand: 19.95 due" "$late" 1995
same "/central/month-settle/late-sale-settles-the-rest: only its difference is booked" \
    "$(settle)" \
    "$late|month $(month | cut -c1-7), meter $M: fixed charge paid 2 times; a lower block counted twice; 26.56 due settled before, 19.95 due"
same "two settlements, the month's whole difference" "$(settled)" "$((due + late)):2"
same "the balance" "$(centre_debt)" "$((due + late))"

# ---- a cancelled sale does not count: the late sale cancelled, its
# difference goes back ----
late_sale=$(sqlite3 "$dir/a.db" "SELECT max(id) FROM sales")
expect 0 "office 1 cancels the late sale (online)" a --card-file c1.card cancel --sale "$late_sale" --reason "wrong amount"
expect 0 "office 1 pushes the cancel" a sync --once
same "/central/month-settle/cancelled-not-counted: its difference is booked back" \
    "$(settle)" \
    "-$late|month $(month | cut -c1-7), meter $M: fixed charge paid 2 times; a lower block counted twice; 46.51 due settled before, 19.95 back"
same "three settlements, the month's difference without the cancelled sale" "$(settled)" "$due:3"
same "the balance" "$(centre_debt)" "$due"
same "settling again books nothing" "$(settle)" "-"

# ---- a sale whose blocks cannot be read (content a station made up) names
# the meter and books nothing; taken back after ----
same "/central/month-settle/unreadable-blocks-named: nothing booked, the reason given" \
    "$(apsql "BEGIN;
              INSERT INTO kv.sales(station_no, local_id, content, meter_number, card_serial, customer_id, seq, amount,
                                   energy, cumulative, created_at)
                  SELECT station_no, 9999, jsonb_set(content, '{blocks}', '\"12:x\"'), meter_number, card_serial,
                         customer_id, seq, amount, energy, cumulative, created_at
                  FROM kv.sales WHERE station_no = 201 ORDER BY local_id DESC LIMIT 1;
              INSERT INTO kv.sale_states(station_no, local_id, content, sale_id, meter_number, state, at)
                  VALUES (201, 9999, '{}', 9999, $M, 'completed', 0);
              SELECT coalesce(amount::text, 'none') || '|' || reason FROM kv.month_blocks_settle('$(month)');
              ROLLBACK")" \
    "none|month $(month | cut -c1-7), meter $M: not settled: sale 9999 of station 201: its blocks cannot be read"
same "still three settlements" "$(settled)" "$due:3"

# ---- a price missing from a pushed block (JSON without price_e4) is not
# taken as 0: the sale is named and nothing is booked ----
same "/central/month-settle/block-without-price-named: nothing booked" \
    "$(apsql "BEGIN;
              INSERT INTO kv.sales(station_no, local_id, content, meter_number, card_serial, customer_id, seq, amount,
                                   energy, cumulative, created_at)
                  SELECT station_no, 9998, jsonb_set(content, '{blocks}',
                                                     to_jsonb('[{\"energy\": ' || (energy - free_energy) || '}]')),
                         meter_number, card_serial, customer_id, seq, amount, energy, cumulative, created_at
                  FROM kv.sales WHERE station_no = 201 ORDER BY local_id DESC LIMIT 1;
              INSERT INTO kv.sale_states(station_no, local_id, content, sale_id, meter_number, state, at)
                  VALUES (201, 9998, '{}', 9998, $M, 'completed', 0);
              SELECT coalesce(amount::text, 'none') FROM kv.month_blocks_settle('$(month)');
              ROLLBACK")" "none"
same "still three settlements after the forged block" "$(settled)" "$due:3"

# ---- two settlements at once cannot both book: REPEATABLE READ (where the
# second would not see the first's rows) is refused ----
if apsql "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT * FROM kv.month_blocks_settle('$(month)'); COMMIT" \
        >out.txt 2>&1; then
    fail "/central/month-settle/repeatable-read-refused: a settlement ran under REPEATABLE READ"
fi
has out.txt "run it under READ COMMITTED" "/central/month-settle/repeatable-read-refused: refused, saying how to run it"

# ---- the reports role reads settlements but does not write debt ----
apsql "CREATE ROLE settle_clerk LOGIN IN ROLE kv_central_admin" >/dev/null
if apsql "SET SESSION AUTHORIZATION settle_clerk; SELECT * FROM kv.month_blocks_settle('$(month)')" \
        >out.txt 2>&1; then
    fail "/central/month-settle/reports-role-refused: a reports login settled a month"
fi
has out.txt "permission denied" "/central/month-settle/reports-role-refused: refused"
same "the reports role still reads the settlements" \
    "$(apsql "SET SESSION AUTHORIZATION settle_clerk; SELECT count(*) FROM kv_report.month_settlements('$(month)')")" "3"
same "still three settlements" "$(settled)" "$due:3"

# ---- a month that is not a month is refused ----
if apsql "SELECT * FROM kv.month_blocks_settle('2026-11-15')" >out.txt 2>&1; then
    fail "a day in the middle of a month was accepted"
fi
has out.txt "give the first day of a month" "a day that is not a month's first is refused clearly"
# ---- the month's total negative: a declining-block tariff (DECLINE:
# 20.00 a kWh up to 10 kWh a month, 10.00 above; 5.00 fixed once a month;
# 16 % VAT) on meter M2 of customer 8, who owes 10.00.  Office 1 sells,
# office 2 sells without having pulled it: both charge the dearer first
# block and the fixed charge; the customer was overcharged ----
M2=111111118 D8=1000
apsql "INSERT INTO kv.tariffs(code, name) VALUES ('DECLINE', 'Declining blocks');
       INSERT INTO kv.tariff_versions(id, code, effective_from, vat_bp, fixed_monthly, blocks, created_at)
           VALUES (2, 'DECLINE', 1577836800, $VAT, $FIXED,
                   '[{\"upto\": 1000, \"price_e4\": 20000000}, {\"upto\": null, \"price_e4\": 10000000}]', 1577836800);
       INSERT INTO kv.customers(id, account, name, debt, created_at)
           VALUES (8, 'ACC-8', 'Ama Mensah', $D8, 1577836800);
       INSERT INTO kv.meters(number, customer_id, tariff_code, key_version, psc_key_version, alarm_level,
                             pretrip_level, hoarding_limit, created_at)
           VALUES ($M2, 8, 'DECLINE', 1, 1, 500, 200, 50000, 1577836800)" >/dev/null || fail "meter $M2 at head office"
expect 0 "office 1 pulls meter $M2, its customer and tariff" a sync --once
expect 0 "provision meter $M2" a meter provision --meter $M2 --out prov2.bin
expect 0 "blank card for $M2" a card blank c2.card
expect 0 "office 1 issues the card of $M2" a --card-file c2.card card issue --meter $M2
expect 0 "office 1 pushes it" a sync --once
expect 0 "office 2 pulls it (then goes offline)" b sync --once
b_debt8() { sqlite3 "$dir/b.db" "SELECT debt FROM customers WHERE id = 8"; }
same "office 2 knows customer 8 owes 10.00" "$(b_debt8)" "$D8"
expect 0 "office 1 sells 100.00 on $M2" a --card-file c2.card sell --meter $M2 --amount 100
e1=$(energy a)
expect 0 "office 1 syncs" a sync --once
expect 0 "office 2 (not synced) sells 200.00 on $M2" b --card-file c2.card sell --meter $M2 --amount 200
e2=$(energy b)
expect 0 "office 2 comes back online and pushes" b sync --once
# dcost POS E: E bought from the month's POS under DECLINE
dcost() {
    in1=$((1000 - $1))
    [ $in1 -gt 0 ] || in1=0
    [ $in1 -lt "$2" ] || in1=$2
    echo $((in1 * 20000000 + ($2 - in1) * 10000000))
}
# By hand.  Office 1: 100.00 = 13.79 VAT + 5.00 fixed + 81.21 for 4.06 kWh
# of first block (81.20; 86.20 + 13.79 VAT = 99.99 charged).  Office 2,
# knowing nothing of it: 200.00 = 27.59 VAT + 5.00 fixed + 167.41 for
# 8.37 kWh of first block (167.40; 172.40 + 27.58 VAT = 199.98 charged).
# One station knowing both: office 1's sale as it was; office 2's 8.37 kWh
# start at 4.06 kWh: 5.94 kWh at 20.00 = 118.80 and 2.43 kWh at 10.00 =
# 24.30, no fixed charge: 143.10 + 22.90 VAT (22.896 rounded half up) =
# 166.00.  The month's difference: 166.00 - 199.98 = -33.98 (the fixed
# charge 5.80 with its VAT, and 2.43 kWh at 10.00 less: 28.18 with VAT).
same "office 1: 4.06 kWh and the fixed charge" "$e1:$(sold a | cut -d: -f3)" "406:500"
same "office 2: 8.37 kWh and the fixed charge again" "$e2:$(sold b | cut -d: -f3)" "837:500"
back=$(($(price "$(dcost "$e1" "$e2")" 0) - $(price $((e2 * 20000000)) $FIXED)))
same "by hand: 33.98 back to the customer" "$back" -3398
same "/central/month-settle/negative-total-credited: head office books the credit once" \
    "$(settle)" \
    "$back|month $(month | cut -c1-7), meter $M2: fixed charge paid 2 times; a higher block counted twice, 33.98 back"
mo=$(month | cut -c1-7)
same "the block named after the tariff's blocks (rising on $M, falling on $M2)" \
    "$(apsql "SELECT string_agg(kv.month_settle_reason('$(month)', m, 1, e, 0, e), ' / ' ORDER BY m, e)
              FROM (VALUES ($M), ($M2)) a(m), (VALUES (-1), (1)) b(e)")" \
    "month $mo, meter $M2: a higher block counted twice, 0.01 back / month $mo, meter $M2: a lower block charged too early, 0.01 due / month $mo, meter $M: a higher block charged too early, 0.01 back / month $mo, meter $M: a lower block counted twice, 0.01 due"
same "recorded with its movement" \
    "$(apsql "SELECT s.amount || ':' || d.kind || ':' || d.amount FROM kv.month_settlements s
              JOIN kv.debt_central d ON d.id = s.movement_id WHERE s.meter_number = $M2")" "$back:adjusted:$back"
# The balance is the sum of the movements: 10.00 - 33.98 = -23.98, shown as
# no debt and 23.98 overpaid (owed to the customer).
credit=$((-(D8 + back)))
same "customer 8's balance went below zero by the credit: no debt, 23.98 overpaid" \
    "$(apsql "SELECT debt || ':' || debt_overpaid FROM kv.customers WHERE id = 8")" "0:$credit"
same "the sum of customer 8's movements" \
    "$(apsql "SELECT sum(amount) FROM kv.debt_central WHERE customer_id = 8")" "$((D8 + back))"
expect 0 "office 2 pulls" b sync --once
same "/central/month-settle/negative-reaches-the-station: office 2 books its 10.00 back as a settling adjustment" \
    "$(sqlite3 "$dir/b.db" "SELECT kind || ':' || amount || ':' || settlement FROM debt_movements
                            WHERE customer_id = 8 ORDER BY id DESC LIMIT 1")" "adjusted:-$D8:1"
same "office 2: customer 8 owes nothing (the rest is owed back at head office)" "$(b_debt8)" 0
same "/central/month-settle/negative-idempotent: settling again books nothing" "$(settle)" "-"
same "one settlement of $M2" "$(settled $M2)" "$back:1"

# ---- the credit paid back once ----
if apsql "SELECT kv.debt_pay_back(8, $((credit + 1)), 'cash at head office, receipt HO-8')" >out.txt 2>&1; then
    fail "/central/month-settle/negative-paid-back-once: more than the credit was paid back"
fi
has out.txt "is owed $credit (overpaid debt); $((credit + 1)) cannot be paid back" \
    "/central/month-settle/negative-paid-back-once: more than the credit refused"
same "head office pays the credit back" \
    "$(apsql "SELECT kv.debt_pay_back(8, $credit, 'cash at head office, receipt HO-8')")" 0
same "customer 8's balance back at 0" \
    "$(apsql "SELECT debt || ':' || debt_overpaid || ':' || (SELECT sum(amount) FROM kv.debt_central
              WHERE customer_id = 8) FROM kv.customers WHERE id = 8")" "0:0:0"
if apsql "SELECT kv.debt_pay_back(8, 1, 'cash at head office, receipt HO-9')" >out.txt 2>&1; then
    fail "/central/month-settle/negative-paid-back-once: the credit was paid back twice"
fi
has out.txt "is owed 0 (overpaid debt); 1 cannot be paid back" \
    "/central/month-settle/negative-paid-back-once: a second payment back refused"
same "/central/month-settle/negative-paid-back-once: settling after the payment back books nothing" "$(settle)" "-"
same "still one settlement of $M2, no debt, nothing overpaid" \
    "$(settled $M2):$(apsql "SELECT debt || ':' || debt_overpaid FROM kv.customers WHERE id = 8")" "$back:1:0:0"
expect 0 "office 2 pulls again" b sync --once
same "office 2 books nothing more for customer 8" \
    "$(sqlite3 "$dir/b.db" "SELECT count(*) || ':' || sum(amount) FROM debt_movements WHERE customer_id = 8")" "2:0"
same "head office: still no debt, nothing overpaid, one payment back listed" \
    "$(apsql "SELECT debt || ':' || debt_overpaid FROM kv.customers WHERE id = 8"):$(apsql "SELECT account || ':' ||
              amount || ':' || still_overpaid FROM kv_report.debt_paid_back()")" "0:0:ACC-8:$credit:0"
finish
