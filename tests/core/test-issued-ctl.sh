#!/bin/sh
# test-issued-ctl.sh - issued sales, their resolution and the ledger's
# reconciliation through kilovendctl on a card file:
#   a sale killed after bytes of its token reached the card, the card then
#   put back with its old bytes (the customer kept the token): the sale is
#   issued, not failed; the shift does not close over it; check lists it;
#   only a supervisor resolves it (audited); and cumulative_sold edited in
#   the SQLite file makes `check` and `audit verify` fail.
set -u
. "$(dirname "$0")/ctl-common.sh"
station 100 --office 2
expect 0 "blank card" $K card blank c1.card
expect 0 "issue" $K --card-file c1.card card issue --meter 123456782
expect 0 "shift" $K shift open --float 50
expect 0 "honest sale" $K --card-file c1.card sell --meter 123456782 --amount 10
expect 0 "check on an honest ledger" $K check
has out.txt "ledger reconciles" "check reconciles an honest ledger"

# The sale stopped after the 40th byte of its token, then killed.
cp c1.card before.card
KILOVEND_TEST_STOP=card-byte:40 $K --quiet --card-file c1.card sell --meter 123456782 --amount 20 &
pid=$!
n=0
# A bound on the wait only (a loaded machine takes seconds to get there).
while [ "$(sed -n 's/^State:\s*\(.\).*/\1/p' /proc/$pid/status 2>/dev/null)" != T ] && [ $n -lt 1200 ]; do
    sleep 0.05; n=$((n + 1))
done
[ "$(sed -n 's/^State:\s*\(.\).*/\1/p' /proc/$pid/status 2>/dev/null)" = T ] ||
    { echo "FAIL: the sale did not stop after byte 40 of its token"; fails=$((fails + 1)); }
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
cp before.card c1.card   # the old bytes back on the card
expect 0 "the card read again" $K --card-file c1.card sale reconcile
expect 0 "unresolved lists it" $K sale unresolved
has out.txt "issued" "the sale is issued, not failed"
sale=$(sed -n 's/^sale \([0-9]*\) .*issued.*/\1/p' out.txt | head -n 1)
[ -n "$sale" ] || { echo "FAIL: no issued sale"; fails=$((fails + 1)); sale=0; }
expect 11 "the shift does not close over it" $K shift close --counted 80
expect 0 "check shows it open" $K check
has out.txt "OPEN: sale $sale is issued" "check lists the issued sale"
expect 0 "add cashier" env KILOVEND_NEW_PASSWORD=cashierpw1 $K user add carol --role cashier
expect 7 "a cashier cannot resolve it" env KILOVEND_USER=carol KILOVEND_PASSWORD=cashierpw1 $K sale resolve "$sale" --void --reason "not paid"
expect 2 "a reason is required" $K sale resolve "$sale" --void
expect 0 "the supervisor voids it" $K sale resolve "$sale" --void --reason "customer not charged"
has out.txt "void" "the sale is void"
expect 19 "resolved once" $K sale resolve "$sale" --paid --reason again
sqlite3 "$KILOVEND_DB" "SELECT detail FROM audit WHERE action = 'sale.void'" >audit.txt
has audit.txt "resolved=void by=admin reason=customer not charged" "the decision is audited"
expect 0 "audit verify" $K audit verify
has out.txt "ledger reconciles" "audit verify reconciles"
expect 0 "the shift closes" $K shift close --counted 60

# The insider with a SQLite shell.
sqlite3 "$KILOVEND_DB" "UPDATE meters SET cumulative_sold = cumulative_sold + 1000"
expect 17 "check catches an edited cumulative_sold" $K check
has out.txt "LEDGER DOES NOT RECONCILE" "check says the ledger does not reconcile"
expect 17 "audit verify catches it" $K audit verify
expect 17 "check --json" $K --json check
has out.txt '"ok":false' "JSON check"
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
