#!/bin/sh
# test-unloaded-swap.sh METER_SIM (KILOVENDCTL in the environment) - refunds
# of credit the meter never loaded and a meter swap with the credit carried,
# through kilovendctl and the meter firmware on the host
# (kilovend-meter-sim): the meter loads only what was not refunded, never
# twice; the new meter loads exactly the credit carried; the old meter's
# cards are refused; money and credit reconcile at the end.
set -u
SIM=$(realpath "$1")
export KILOVENDCTL
. "$(dirname "$0")/ctl-common.sh"
M=123456782
M2=111111118
M3=222222226
sim() { "$SIM" --state st --config prov.bin "$@"; }
sim3() { "$SIM" --state st3 --config prov3.bin "$@"; }
field() { grep -o "\"$1\":[^,}]*" sim.txt | head -1 | cut -d: -f2 | tr -d '"'; }
simjson() { sim status --json >sim.txt; field "$1"; }
sim3json() { sim3 status --json >sim.txt; field "$1"; }
q() { sqlite3 "$KILOVEND_DB" "$1"; }
SAM="env KILOVEND_USER=sam KILOVEND_PASSWORD=superpass1"
CAROL="env KILOVEND_USER=carol KILOVEND_PASSWORD=cashierpw1"

station 500
expect 0 "second meter" $K meter add --number $M2 --hoarding 500 --alarm 5 --pretrip 2
expect 0 "provision" $K meter provision --meter $M --out prov.bin
users "sam supervisor superpass1" "carol cashier cashierpw1"
expect 0 "the selling shift" $K shift open
for c in user.card user2.card cc.card new.card; do $K card blank $c >/dev/null; done
expect 0 "a customer's card" $K --card-file user.card card issue --meter $M
expect 0 "the other meter's card" $K --card-file user2.card card issue --meter $M2
expect 0 "sell 10 kWh" $K --card-file user.card sell --meter $M --amount 100
sim insert user.card >/dev/null
is "loaded by the meter" "$(simjson remaining)" 1000
expect 0 "sell 5 kWh" $K --card-file user.card sell --meter $M --amount 50
expect 0 "sell 3 kWh" $K --card-file user.card sell --meter $M --amount 30

# Who may refund, and with what.
expect 7 "refund_unloaded_cashier_refused" $CAROL $K --card-file user.card refund unloaded --meter $M --reason "wrong meter"
expect 19 "no refund without the supervisor's open shift" $SAM $K --card-file user.card refund unloaded --meter $M --reason "wrong meter"
expect 0 "supervisor's shift" $SAM $K shift open --float 200
expect 2 "a reason is required" $SAM $K --card-file user.card refund unloaded --meter $M --reason ""
expect 3 "more than is unloaded is refused" $SAM $K --card-file user.card refund unloaded --meter $M --kwh 9 --reason "wrong meter"
# 6 of the 8 kWh not loaded: the 3 kWh sale whole, 3 kWh of the 5 kWh sale.
expect 0 "refund 6 kWh not loaded" $SAM $K --json --card-file user.card refund unloaded --meter $M --kwh 6 --reason "bought too much" --receipt refund.pdf
is "6 kWh refunded" "$(json energy)" 600
is "at the prices paid (30.00 + 30.00)" "$(json amount)" 60.00
is "from two sales" "$(json sales)" 2
pdftotext -layout refund.pdf receipt.txt
has receipt.txt "REFUND - MONEY PAID BACK" "the receipt is marked as a refund"
has receipt.txt "Credit not loaded" "the receipt says the credit was not loaded"
has receipt.txt "bought too much" "the receipt gives the reason"
is "the card carries the lower cumulative" "$(q "SELECT cumulative_sold FROM meters WHERE number = $M")" 1200
sim insert user.card >/dev/null
is "refund_unloaded_meter_loads_rest: the meter loads only the 2 kWh not refunded" "$(simjson remaining)" 1200
# refund of loaded credit: the readback shows it all loaded
expect 19 "refund_unloaded_loaded_refused" $SAM $K --card-file user.card refund unloaded --meter $M --reason "again"
sim insert user.card >/dev/null
is "refund_unloaded_never_twice: the refund token loads nothing more" "$(simjson remaining)" 1200

# Refund twice through a copy of the card made before the refund: refused
# at the counter; in the meter the copy loads the refunded credit once, and
# the readback it brings back is detected (loaded above sold).
expect 0 "sell 4 kWh" $K --card-file user.card sell --meter $M --amount 40
cp user.card before-refund.card
expect 0 "refund the 4 kWh" $SAM $K --json --card-file user.card refund unloaded --meter $M --reason "moved away"
is "4 kWh refunded" "$(json energy)" 400
cp before-refund.card copy.card
expect 19 "refund_unloaded_twice_refused (a copy of the card)" $SAM $K --card-file copy.card refund unloaded --meter $M --reason "moved away"
sim insert copy.card >/dev/null
is "the copy loads the refunded credit once" "$(simjson remaining)" 1600
sim insert copy.card >/dev/null
is "and only once" "$(simjson remaining)" 1600
expect 0 "read the copy at the counter" $K --json --card-file copy.card card read
is "refund_unloaded_copy_detected: loaded above sold by the 4 kWh refunded, an anomaly" "$(q "SELECT amount FROM anomalies WHERE kind = 'loaded-above-sold' AND meter_number = $M")" 400

# A sale to the wrong meter: refund on it, then a new sale on the right one.
expect 0 "sell 7 kWh to the wrong meter" $K --card-file user2.card sell --meter $M2 --amount 70
expect 0 "step 1: refund it on the wrong meter's card" $SAM $K --json --card-file user2.card refund unloaded --meter $M2 --reason "sold to the wrong meter"
is "the whole sale refunded" "$(json amount)" 70.00
expect 0 "step 2: sell it on the right meter's card" $K --card-file copy.card sell --meter $M --amount 70
cp copy.card user.card
sim insert user.card >/dev/null
is "the right meter loads the 7 kWh" "$(simjson remaining)" 2300
is "the wrong meter's card carries nothing" "$(q "SELECT cumulative_sold FROM meters WHERE number = $M2")" 0

expect 0 "supervisor's shift" $SAM $K --json shift show
is "expected cash: the float less the refunds paid from it" "$(json expected)" 30.00
for r in shift daily monthly; do
    expect 0 "report $r" $SAM $K --json report $r
    has out.txt "3 paying back 170.00 KES for 17.00 kWh" "report $r: the refunds apart from the sales"
done

# The meter fails: its credit cleared by a clear-credit card and carried to
# a new meter with the credit sold to it and never loaded.
sim run --kw 3 --hours 1 >/dev/null
left=$(simjson remaining)
expect 0 "sell 2 kWh, not loaded" $K --card-file user.card sell --meter $M --amount 20
expect 0 "clear-credit card" $SAM $K --card-file cc.card card engineering --type clear-credit --meter $M
sim insert cc.card >/dev/null
is "the old meter emptied" "$(simjson remaining)" 0
expect 19 "swap_needs_the_clear_read: not before the report is read" $SAM $K meter swap --meter $M --new $M3 --source cleared --reason "faulty relay"
is "swap_refused_leaves_nothing: no new meter registered, no transfer" \
    "$(q "SELECT (SELECT count(*) FROM meters WHERE number = $M3) || ':' || (SELECT count(*) FROM transfers)")" 0:0
is "swap_refused_audited: the refusal and why, no meter.add" \
    "$(q "SELECT group_concat(action || ' ' || object, ',') FROM audit WHERE action = 'meter.swap-refused'
          OR (action = 'meter.add' AND object = 'meter:$M3')")" "meter.swap-refused meter:$M"
has err.txt "not a clear-credit card's" "the refusal says why"
is "the audit row holds the new meter and the reason" \
    "$(q "SELECT detail LIKE 'to=$M3 source=cleared refused: %clear-credit card%; reason=faulty relay' FROM audit
          WHERE action = 'meter.swap-refused'")" 1
expect 0 "read the clear-credit card" $K --card-file cc.card card read
expect 7 "a cashier may not swap" $CAROL $K meter swap --meter $M --new $M3 --source cleared --reason "faulty relay"
expect 0 "meter swap, new card issued" $SAM $K --json --card-file new.card meter swap --meter $M --new $M3 --source cleared --reason "faulty relay" --out prov3.bin --issue
is "the swap registered the new meter" "$(json registered)" true
is "swap_registers_with_transfer: the new meter's meter.add and the swap, in that order" \
    "$(q "SELECT group_concat(action, ',') FROM (SELECT action FROM audit WHERE action IN ('meter.add', 'meter.swap')
          AND id > (SELECT max(id) FROM audit WHERE action = 'meter.swap-refused') ORDER BY id)")" "meter.add,meter.swap"
is "the credit left in the old meter" "$(json remaining)" "$left"
is "the credit sold to it and never loaded" "$(json unloaded)" 200
carried=$((left + 200))
is "carried" "$(json carried)" $carried
expect 19 "swap_carried_not_refunded: carried credit is no money to pay back" $SAM $K --card-file new.card refund unloaded --meter $M3 --reason "again"
sim3 insert new.card >/dev/null
is "swap_new_meter_loads_carried: the new meter loads exactly the credit left" "$(sim3json remaining)" $carried
sim3 insert new.card >/dev/null
is "swap_carried_loaded_once: inserted again, nothing more" "$(sim3json remaining)" $carried
sim3 insert user.card >/dev/null
is "swap_old_card_refused: the new meter refuses the old meter's card" "$(sim3json display)" "Err 07"
is "and loads nothing from it" "$(sim3json remaining)" $carried
sim insert new.card >/dev/null
is "swap_transfer_other_meter_refused: the old meter refuses the new card" "$(simjson display)" "Err 07"
expect 16 "swap_old_card_no_sale: no sale on the old meter's card" $K --card-file user.card sell --meter $M --amount 10
expect 5 "swap_twice_refused: the old meter is swapped once" $SAM $K meter swap --meter $M --new $M2 --source estimate --reason "again"
expect 19 "swap_cleared_not_refunded: the carried clear is not refunded" $SAM $K refund cleared --meter $M --reason "again"
expect 0 "same swap again goes on (resume)" $SAM $K --json meter swap --meter $M --new $M3 --source cleared --reason "faulty relay"
is "the transfer recorded once" "$(q "SELECT count(*) || ':' || sum(energy) FROM transfers")" "1:$carried"
expect 0 "sell on the new meter" $K --card-file new.card sell --meter $M3 --amount 10
sim3 insert new.card >/dev/null
is "the new meter loads the sale on top" "$(sim3json remaining)" $((carried + 100))
expect 0 "daily report" $SAM $K --json report daily
has out.txt "1 carrying" "the daily report shows the transfer apart from the sales"

# A dead meter swapped on an estimate, then a clear-credit card made before
# the swap reports a clear from it: that credit was carried, no refund of it.
M4=333333334
expect 0 "provision the second meter" $K meter provision --meter $M2 --out prov2.bin
expect 0 "sell 10 kWh on the second meter" $K --card-file user2.card sell --meter $M2 --amount 100
"$SIM" --state st2 --config prov2.bin insert user2.card >/dev/null
expect 0 "its readback read" $K --card-file user2.card card read
$K card blank cc2.card >/dev/null
expect 0 "a clear-credit card for it, made before the swap" $SAM $K --card-file cc2.card card engineering --type clear-credit --meter $M2
expect 0 "swap on an estimate (the meter takes no card)" $SAM $K --json meter swap --meter $M2 --new $M4 --source estimate --reason "burnt"
is "the estimate carries the readback's remaining" "$(json carried)" 1000
is "audited as an estimate" "$(q "SELECT count(*) FROM audit WHERE action = 'meter.swap' AND detail LIKE '%ESTIMATE%'")" 1
"$SIM" --state st2 --config prov2.bin insert cc2.card >/dev/null
expect 0 "the clear's report read after the swap" $K --card-file cc2.card card read
is "the clear is recorded" "$(q "SELECT sum(amount) FROM credit_clears WHERE meter_number = $M2")" 1000
expect 19 "swap_estimate_clear_not_refunded: no refund of credit carried" $SAM $K refund cleared --meter $M2 --reason "again"

# Money and credit reconcile to the minor unit.
expect 0 "audit and reconciliation" $K audit verify
expect 0 "check" $K check
is "credit: the meters without an adopted base: cumulative sold = sales - refund tokens + carried" \
   "$(q "SELECT group_concat(m.number) FROM meters m WHERE m.number IN ($M2, $M3) AND m.cumulative_sold = (SELECT coalesce(sum(energy), 0) FROM sales s WHERE s.meter_number = m.number AND s.state = 'completed') - (SELECT coalesce(sum(cumulative_before - cumulative), 0) FROM refund_tokens t WHERE t.meter_number = m.number AND t.state = 'done') + (SELECT coalesce(sum(energy), 0) FROM transfers WHERE to_meter = m.number)")" "$M2,$M3"
is "money: the refunds' parts add up to the refunds" "$(q "SELECT (SELECT sum(amount) FROM refund_parts) = (SELECT sum(amount) FROM refunds)")" 1
expect 0 "the selling shift" $K --json shift show
carol=$(json expected | tr -d .)
expect 0 "supervisor's shift" $SAM $K --json shift show
sam=$(json expected | tr -d .)
is "money: the drawers hold the floats and the sales less the refunds, to the minor unit" \
   "$((carol + sam - 20000))" "$(q "SELECT (SELECT sum(amount) FROM sales WHERE state = 'completed') - (SELECT sum(amount) FROM refunds)")"
is "money: the transfer took no money" "$(q "SELECT count(*) FROM sales WHERE meter_number = $M3 AND state = 'completed'")" 1
echo "$fails failed"
[ "$fails" -eq 0 ]
