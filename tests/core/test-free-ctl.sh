#!/bin/sh
# test-free-ctl.sh - free basic electricity through kilovendctl on a card
# file: a category's monthly free allocation set and listed, granted with
# the first sale of the month, alone on a zero-money token, refused a
# second time in the month, granted again the next month (local time,
# TZ=Africa/Lagos, UTC+1: the month ends at 23:00 UTC), shown on the sale,
# the receipt, the reports and the statement, audited and reconciled.
set -u
. "$(dirname "$0")/ctl-common.sh"
export TZ=Africa/Lagos
# 2027-03-31 10:00 local
export KILOVEND_NOW=1806483600
station 500
expect 0 "blank card" $K card blank c1.card
expect 0 "issue" $K --card-file c1.card card issue --meter 123456782
expect 0 "shift" $K shift open --float 0
expect 0 "customer" $K customer add --account A001 --name "Jane Doe"
expect 0 "meter to the customer" $K meter edit --number 123456782 --account A001
expect 0 "lifeline tariff" $K tariff add --code LIF --block 5 --from 2020-01-01
expect 3 "a free allocation is not negative" $K category set --code lifeline --tariff LIF --free -1
expect 0 "category with 50 kWh free" $K category set --code lifeline --tariff LIF --name Lifeline --free 50
expect 0 "categories" $K category list
has out.txt "lifeline	LIF	Lifeline	50.00" "the allocation listed"
expect 19 "no category, no free allocation" $K --card-file c1.card sell --meter 123456782 --free-only
has err.txt "has no free allocation" "the reason named"
expect 0 "customer in the category" $K customer category --account A001 --set lifeline
expect 0 "quote shows the free line" $K sell --meter 123456782 --amount 10 --quote
has out.txt "FREE        50.00 kWh" "the quote's free line"
expect 2 "free-only takes no amount" $K --card-file c1.card sell --meter 123456782 --free-only --amount 10
expect 0 "first sale of the month carries it" $K --card-file c1.card sell --meter 123456782 --amount 10 --receipt r1.pdf
has out.txt "ENERGY      2.00 kWh" "the energy bought"
has out.txt "FREE        50.00 kWh" "the free energy apart"
pdftotext -layout r1.pdf r1.txt 2>/dev/null && has r1.txt "FREE ENERGY" "the receipt's free line"
expect 19 "a second grant this month is refused" $K --card-file c1.card sell --meter 123456782 --free-only
has err.txt "already granted to A001 with sale 1" "the grant that was given named"
expect 0 "a second sale carries none" $K --json --card-file c1.card sell --meter 123456782 --amount 10
has out.txt '"free_ckwh":0' "no free energy on the second sale"
# 2027-03-31 23:30 local (22:30 UTC): still March
export KILOVEND_NOW=1806532200
expect 19 "still March at 23:30 local" $K --card-file c1.card sell --meter 123456782 --free-only
# 2027-04-01 00:30 local (2027-03-31 23:30 UTC): April
export KILOVEND_NOW=1806535800
expect 0 "April's allocation alone" $K --json --card-file c1.card sell --meter 123456782 --free-only
has out.txt '"amount_minor":0' "a token with no money"
has out.txt '"free_ckwh":5000' "April's 50 kWh, not 100"
expect 0 "Z report" $K report shift
has out.txt "free allocations: 2" "the Z report's grants"
has out.txt "free energy kWh: 100.00" "the Z report's free energy"
has out.txt "expected cash: 20.00" "no money expected for free energy"
has out.txt "credit on tokens kWh: 104.00 = 4.00 bought + 100.00 free" "money and credit reconciled"
expect 0 "monthly report, April" $K report monthly --month 2027-04
has out.txt "free energy kWh: 50.00" "April's free energy"
expect 0 "statement" $K customer statement --account A001 --from 2027-03-01 --to 2027-04-30 --csv st.csv
has st.csv ",free allocation,3,123456782,,,50.00," "the zero-money grant on the statement"
has out.txt "free allocations: 2 (100.00 kWh)" "the statement's free total"
expect 0 "audit verify" $K audit verify
[ "$(sqlite3 "$KILOVEND_DB" "SELECT count(*) FROM audit WHERE action = 'free.grant'")" = 2 ] ||
    fail "each grant has its audit row"
sqlite3 "$KILOVEND_DB" "PRAGMA ignore_check_constraints = ON; UPDATE sales SET free_energy = 9000, cumulative = cumulative + 4000 WHERE id = 3; UPDATE meters SET cumulative_sold = cumulative_sold + 4000"
expect 17 "audit detects a grant enlarged" $K audit verify
has out.txt "sale 3 differs from its audit record" "the grant's sale named"
[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all passed"
