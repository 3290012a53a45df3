#!/bin/sh
# test-clear-credit.sh METER_SIM (KILOVENDCTL in the environment) -
# clear-credit cards issued by kilovendctl and inserted into
# kilovend-meter-sim (the meter firmware on the host): the meter empties its
# credit and reports the amount on the card; the station records it exactly
# once however often the report comes back (read twice, the card inserted
# again, a later check card read first).
set -u
SIM=$(realpath "$1")
export KILOVENDCTL
. "$(dirname "$0")/ctl-common.sh"
M=123456782
sim() { "$SIM" --state st --config prov.bin "$@"; }
simjson() { sim status --json >sim.txt; grep -o "\"$1\":[^,}]*" sim.txt | head -1 | cut -d: -f2 | tr -d '"'; }
q() { sqlite3 "$KILOVEND_DB" "$1"; }

station 500
expect 0 "provision" $K meter provision --meter $M --out prov.bin
users "sam supervisor superpass1" "carol cashier cashierpw1"
expect 0 "shift" $K shift open
$K card blank user.card >/dev/null && $K card blank cc.card >/dev/null
expect 0 "a customer's card" $K --card-file user.card card issue --meter $M
expect 0 "a sale of 10 kWh" $K --card-file user.card sell --meter $M --amount 100
sim insert user.card >/dev/null
is "loaded by the meter" "$(simjson remaining)" 1000

# Roles: a cashier may not; a supervisor may.
expect 7 "a cashier may not issue a clear-credit card" env KILOVEND_USER=carol KILOVEND_PASSWORD=cashierpw1 $K --card-file cc.card card engineering --type clear-credit --meter $M
expect 0 "clear-credit card" env KILOVEND_USER=sam KILOVEND_PASSWORD=superpass1 $K --json --card-file cc.card card engineering --type clear-credit --meter $M
expect 0 "read it" $K --json --card-file cc.card card read
is "its token" "$(sed -n 's/.*"token": {\([^}]*\)}.*/\1/p' out.txt | grep -o '"kind": *"[^"]*"' | cut -d'"' -f4)" "clear credit"
sim insert cc.card >/dev/null
is "meter shows the clear" "$(simjson display)" "CrEd CLr"
is "meter credit emptied" "$(simjson remaining)" 0
expect 0 "read the clear-credit card" $K --json --card-file cc.card card read
is "the readback reports the credit cleared" "$(json cleared)" 1000
is "recorded once" "$(q "SELECT count(*) || ':' || sum(amount) FROM credit_clears WHERE meter_number = $M")" "1:1000"
expect 0 "read it again" $K --json --card-file cc.card card read
is "read twice: still once" "$(q "SELECT count(*) || ':' || sum(amount) FROM credit_clears")" "1:1000"
# clear twice: the meter refuses the same card, writes the same report
sim insert cc.card >/dev/null
is "clear twice: refused as a replay" "$(simjson display)" "Err 13"
expect 0 "read after the replay" $K --json --card-file cc.card card read
is "clear twice: nothing more recorded" "$(q "SELECT count(*) || ':' || sum(amount) FROM credit_clears")" "1:1000"
is "audited once" "$(q "SELECT count(*) FROM audit WHERE action = 'meter.credit-cleared'")" 1
is "the token marked applied" "$(q "SELECT count(*) FROM engineering_tokens WHERE kind = 8 AND applied_at IS NOT NULL")" 1

# A second clear after a new sale; its report comes back after a check
# card's newer readback was read: still recorded, by its own amount.
expect 0 "sell 5 kWh" $K --card-file user.card sell --meter $M --amount 50
sim insert user.card >/dev/null
is "the meter loads it" "$(simjson remaining)" 500
expect 0 "second clear-credit card (same card, new token)" env KILOVEND_USER=sam KILOVEND_PASSWORD=superpass1 $K --json --card-file cc.card card engineering --type clear-credit --meter $M
is "re-used" "$(json reused)" true
sim insert cc.card >/dev/null
is "emptied again" "$(simjson remaining)" 0
$K card blank chk.card >/dev/null
expect 0 "check card" env KILOVEND_USER=sam KILOVEND_PASSWORD=superpass1 $K --card-file chk.card card engineering --type check --meter $M
sim insert chk.card >/dev/null
expect 0 "read the check card first" $K --json --card-file chk.card card read
expect 0 "then the clear-credit card" $K --json --card-file cc.card card read
is "total cleared on the card" "$(json cleared)" 1500
is "the second clear recorded by its amount" "$(q "SELECT group_concat(amount, ',') FROM (SELECT amount FROM credit_clears ORDER BY id)")" "1000,500"

# Refund of the credit cleared (docs/station.md, "Refunds"): supervisor only,
# from the supervisor's open shift, at the price paid, once.
SAM="env KILOVEND_USER=sam KILOVEND_PASSWORD=superpass1"
expect 7 "a cashier may not refund" env KILOVEND_USER=carol KILOVEND_PASSWORD=cashierpw1 $K refund cleared --meter $M --reason "moved away"
expect 19 "no refund without an open shift" $SAM $K refund cleared --meter $M --reason "moved away"
expect 0 "supervisor's shift" $SAM $K shift open --float 200
expect 2 "a reason is required" $SAM $K refund cleared --meter $M --reason ""
expect 0 "refund the credit cleared" $SAM $K --json refund cleared --meter $M --reason "moved away"
is "all 15 kWh cleared are refunded" "$(json energy)" 1500
is "at the price paid for them (100.00 + 50.00)" "$(json amount)" 150.00
is "taken from both sales" "$(json sales)" 2
expect 19 "nothing left to refund: refused" $SAM $K refund cleared --meter $M --reason "again"
expect 0 "the supervisor's shift" $SAM $K --json shift show
is "expected cash: float less the refund" "$(json expected)" 50.00
is "the clears are refunded" "$(q "SELECT sum(refunded) FROM credit_clears")" 1500
# A third sale, half of it cleared after use: refunded at its own price,
# in part; the rest of the sale refunds exactly what is left of it.
expect 0 "sell 20 kWh" $K --card-file user.card sell --meter $M --amount 200
sim insert user.card >/dev/null
sim run --kw 10 --hours 1 >/dev/null
left=$(simjson remaining)
is "about 10 kWh used" "$([ "$left" -gt 900 ] && [ "$left" -lt 1100 ] && echo yes)" yes
expect 0 "clear again" $SAM $K --card-file cc.card card engineering --type clear-credit --meter $M
sim insert cc.card >/dev/null
expect 0 "read the report" $K --json --card-file cc.card card read
expect 0 "refund in part" $SAM $K --json refund cleared --meter $M --reason "meter swapped"
is "what was left refunded" "$(json energy)" "$left"
is "at the 200.00 sale's price, rounded down" "$(json amount_minor)" $((20000 * left / 2000))
is "the parts add up to the refunds" "$(q "SELECT (SELECT sum(amount) FROM refund_parts) = (SELECT sum(amount) FROM refunds)")" 1
# Two sales at different prices (10.00 then 20.00 a kWh), 2 kWh used, the
# rest cleared: the newest sale is refunded whole at its price, the older
# one in part at its own.
expect 0 "sell 10 kWh at 10.00" $K --card-file user.card sell --meter $M --amount 100
expect 0 "the price goes up" $K tariff add --code DEFAULT --block 20 --from 2021-01-01
expect 0 "sell 5 kWh at 20.00" $K --card-file user.card sell --meter $M --amount 100
is "5 kWh for 100.00" "$(q "SELECT energy FROM sales ORDER BY id DESC LIMIT 1")" 500
sim insert user.card >/dev/null
sim run --kw 2 --hours 1 >/dev/null
left=$(simjson remaining)
expect 0 "clear once more" $SAM $K --card-file cc.card card engineering --type clear-credit --meter $M
sim insert cc.card >/dev/null
expect 0 "read the report" $K --json --card-file cc.card card read
expect 0 "refund at the prices paid, with its receipt" $SAM $K --json refund cleared --meter $M --reason "wrong meter" --receipt refund.pdf
rid=$(json refund)
pdftotext -layout refund.pdf receipt.txt
has receipt.txt "REFUND - MONEY PAID BACK" "the receipt is marked as a refund"
has receipt.txt "wrong meter" "the receipt gives the reason"
has receipt.txt "Refund no. *$rid" "the receipt gives the refund's number"
is "all that was left" "$(json energy)" "$left"
is "the 20.00 sale whole, the 10.00 sale for the rest" "$(json amount_minor)" $((10000 + 10000 * (left - 500) / 1000))
is "from two sales" "$(json sales)" 2
is "audited" "$(q "SELECT count(*) FROM audit WHERE action = 'refund.cleared'")" 3
paid=$(q "SELECT printf('%d.%02d', sum(amount) / 100, sum(amount) % 100) FROM refunds")
for r in "shift" "daily" "monthly"; do
    expect 0 "report $r" $SAM $K --json report $r
    is "report $r: refunds apart from the sales" "$(json refunds)" "3 paying back $paid KES for $(q "SELECT printf('%d.%02d', sum(energy) / 100, sum(energy) % 100) FROM refunds") kWh"
done
expect 0 "audit" $K audit verify

# Insiders at the SQLite shell (docs/security-model.md, "Insider edits:
# credit clears and debt movements"): credit cleared that no readback
# proved, or more of it than was proved, or a refunded part set back, is
# refunded by nothing; `audit verify` and `check` name the row.
last=$(q "SELECT max(id) FROM credit_clears")
total=$(q "SELECT max(cleared_total) FROM credit_clears")
card=$(q "SELECT card_serial FROM credit_clears LIMIT 1")
refunds=$(q "SELECT count(*) || ':' || sum(amount) FROM refunds")
marked=$(q "SELECT refunded FROM credit_clears WHERE id = $last")
q "INSERT INTO credit_clears(meter_number, card_serial, token_seq, readback_counter, cleared_total, amount, recorded_at) VALUES ($M, $card, 0, 99, $((total + 2000)), 2000, 0)"
expect 17 "/clear-credit/inserted-row: refused" $SAM $K refund cleared --meter $M --reason "insider"
has err.txt "credit cleared $((last + 1)) (meter $M, 20.00 kWh) has no meter.credit-cleared audit row" "the refusal names the inserted row"
expect 17 "/clear-credit/inserted-row: audit verify names it" $K audit verify
has out.txt "credit cleared $((last + 1)) (meter $M, 20.00 kWh) has no meter.credit-cleared audit row" "verify names the inserted row"
expect 17 "/clear-credit/inserted-row: check names it" $K check
has out.txt "credit cleared $((last + 1)) .*has no meter.credit-cleared audit row" "check names the inserted row"
q "DELETE FROM credit_clears WHERE id > $last"
q "UPDATE credit_clears SET amount = amount + 300 WHERE id = $last"
expect 17 "/clear-credit/raised-amount: refused" $SAM $K refund cleared --meter $M --reason "insider"
has err.txt "credit cleared $last (meter $M) differs from its audit row" "the refusal names the raised row"
expect 17 "/clear-credit/raised-amount: audit verify names it" $K audit verify
has out.txt "credit cleared $last (meter $M) differs from its audit row" "verify names the raised row"
q "UPDATE credit_clears SET amount = amount - 300 WHERE id = $last"
q "UPDATE credit_clears SET refunded = 0 WHERE id = $last"
expect 17 "/clear-credit/refunded-part-reset: refused" $SAM $K refund cleared --meter $M --reason "insider"
has err.txt "meter:$M: .* kWh of its credit cleared is marked refunded but its refunds' audit rows paid back" "the refusal names the refunded part"
expect 17 "/clear-credit/refunded-part-reset: audit verify names it" $K audit verify
q "UPDATE credit_clears SET refunded = $marked WHERE id = $last"
expect 0 "put back: the ledger verifies again" $K audit verify
# The row and an audit row for it, chained by the documented formula
# (anyone with the file can): without the audit key it has no MAC, so
# the refund (keys unlocked) refuses it and `audit verify --keyed` names it.
python3 - "$KILOVEND_DB" "$M" "$card" "$((total + 2000))" <<'EOF'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
meter, card, total = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
db.execute("INSERT INTO credit_clears(meter_number, card_serial, token_seq, readback_counter, "
           "cleared_total, amount, recorded_at) VALUES (?, ?, 0, 99, ?, 2000, 0)", (meter, card, total))
i, prev = db.execute("SELECT id + 1, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
obj, detail = f"meter:{meter:09d}", f"amount=2000 cleared_total={total} card={card} counter=99 result=0"
h = hashlib.sha256(prev + f"{i}|1|0|meter.credit-cleared|{obj}|{detail}".encode()).digest()
db.execute("INSERT INTO audit(id, at, user_id, action, object, detail, hash) "
           "VALUES (?, 1, NULL, 'meter.credit-cleared', ?, ?, ?)", (i, obj, detail, h))
db.commit()
EOF
expect 17 "/clear-credit/forged-audit-row: refused" $SAM $K refund cleared --meter $M --reason "insider"
has err.txt "does not prove itself" "the refusal names the forged audit row"
expect 17 "/clear-credit/forged-audit-row: audit verify --keyed names it" $SAM $K audit verify --keyed
has out.txt "(meter.credit-cleared meter:$M) is always written with the keys unlocked but has no keyed MAC" "verify --keyed names the forged row"
is "no attack refunded anything" "$(q "SELECT count(*) || ':' || sum(amount) FROM refunds")" "$refunds"
echo "$fails failed"
[ "$fails" -eq 0 ]
