#!/bin/sh
# test-money-ctl.sh - the money side through kilovendctl on a card file:
# payment types and references at the sale, the drawer and the reports.
set -u
. "$(dirname "$0")/ctl-common.sh"
station 100
expect 0 "blank card" $K card blank c1.card
expect 0 "issue" $K --card-file c1.card card issue --meter 123456782
expect 0 "shift" $K shift open --float 50

# Payment types.
expect 3 "mobile money needs a reference" $K --card-file c1.card sell --meter 123456782 --amount 10 --payment mobile-money
has err.txt "needs its reference" "the missing reference named"
expect 3 "unknown payment type" $K --card-file c1.card sell --meter 123456782 --amount 10 --payment cheque
expect 3 "cash takes no reference" $K --card-file c1.card sell --meter 123456782 --amount 10 --reference X1
expect 0 "cash sale" $K --card-file c1.card sell --meter 123456782 --amount 10
has out.txt "paid by     cash" "the cash sale says how it was paid"
expect 0 "mobile money sale" $K --json --card-file c1.card sell --meter 123456782 --amount 20 --payment mobile-money --reference MP-0001
has out.txt '"payment":"mobile-money","reference":"MP-0001"' "JSON payment and reference"
expect 5 "a reference is used once" $K --card-file c1.card sell --meter 123456782 --amount 20 --payment mobile --reference MP-0001
has err.txt "already paid sale" "the reused reference refused"
expect 0 "bank card sale" $K --card-file c1.card sell --meter 123456782 --amount 30 --payment bank-card --receipt r.pdf
expect 0 "bank transfer sale" $K --card-file c1.card sell --meter 123456782 --amount 5 --payment transfer --reference TRF/77
expect 0 "shift show" $K shift show
expect 0 "Z report" $K report shift --csv z.csv
has out.txt "expected cash: 60.00" "the drawer expects the float and cash only"
has out.txt "paid mobile money: 20.00" "the Z report's mobile money"
has z.csv "completed,bank-transfer,1,5.00," "the Z CSV carries the type"
expect 0 "daily report" $K report daily --csv day.csv
has day.csv ",10.00,20.00,30.00,5.00" "the daily CSV has a column per type"
expect 0 "audit verify" $K audit verify
sqlite3 "$KILOVEND_DB" "UPDATE sales SET payment = 1, payment_ref = 'MP-9' WHERE id = 1"
expect 17 "audit detects a cash sale relabelled" $K audit verify
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
