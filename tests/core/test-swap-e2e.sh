#!/bin/sh
# test-swap-e2e.sh METER_SIM - run inside tests/pcsc/kv-pcsc-env with a blank
# card: every card operation of kilovendctl through pcscd and the virtual
# card, every insertion into the meter firmware on the host
# (kilovend-meter-sim).  A customer with credit, a sale to refund (part of
# it never loaded), the meter fails: cleared, swapped, the new meter loads
# exactly the credit left; money and credit reconcile at the end.
set -u
SIM=$(realpath "$1")
. "$(dirname "$0")/ctl-common.sh"
M=123456782
M3=222222226
USER_CARD=$KV_VCARD_CARD
sim() { "$SIM" --state st --config prov.bin "$@"; }
sim3() { "$SIM" --state st3 --config prov3.bin "$@"; }
simjson() { "$SIM" --state "$1" --config "$2" status --json >sim.txt
            grep -o "\"$3\":[^,}]*" sim.txt | head -1 | cut -d: -f2 | tr -d '"'; }
q() { sqlite3 "$KILOVEND_DB" "$1"; }
# The card leaves the reader for the meter, and comes back.
to_meter() { $KV_PCSC_CTL remove; waitcard; }
to_reader() { $KV_PCSC_CTL insert "$1"; waitcard; }
SAM="env KILOVEND_USER=sam KILOVEND_PASSWORD=superpass1"

station 500
expect 0 "provision" $K meter provision --meter $M --out prov.bin
users "sam supervisor superpass1"
expect 0 "the customer's card, at the reader" $K card issue --meter $M
expect 0 "the selling shift" $K shift open
expect 0 "the supervisor's shift" $SAM $K shift open --float 500
expect 0 "sell 20 kWh" $K --json sell --meter $M --amount 200
to_meter
sim insert "$USER_CARD" >/dev/null
is "the meter loads 20 kWh" "$(simjson st prov.bin remaining)" 2000
sim run --kw 4 --hours 1 >/dev/null
to_reader "$USER_CARD"
expect 0 "sell 6 kWh" $K --json sell --meter $M --amount 60
expect 0 "a wrong sale: 9 kWh too much" $K --json sell --meter $M --amount 90
expect 0 "refund the wrong sale (never loaded)" $SAM $K --json refund unloaded --meter $M --kwh 9 --reason "wrong amount" --receipt refund.pdf
is "9 kWh refunded" "$(json energy)" 900
is "at its price" "$(json amount)" 90.00
pdftotext -layout refund.pdf receipt.txt
has receipt.txt "REFUND - MONEY PAID BACK" "the receipt is marked as a refund"
expect 0 "read the card" $K --json card read
is "the card carries the lower cumulative" "$(json cumulative)" 2600

# The meter fails: its credit cleared and read back, then the swap.
CC=$dir/cc.card NEW=$dir/new.card
$K card blank "$CC" >/dev/null && $K card blank "$NEW" >/dev/null
to_reader "$CC"
expect 0 "clear-credit card, at the reader" $SAM $K card engineering --type clear-credit --meter $M
to_meter
sim insert "$CC" >/dev/null
is "the meter emptied" "$(simjson st prov.bin remaining)" 0
to_reader "$CC"
expect 0 "read the clear-credit card" $K --json card read
cleared=$(json cleared)
to_reader "$NEW"
expect 0 "meter swap, the new card issued at the reader" $SAM $K --json meter swap --meter $M --new $M3 --source cleared --reason "display dead" --out prov3.bin --issue
is "carried: the credit cleared and the 6 kWh never loaded" "$(json carried)" $((cleared + 600))
to_meter
sim3 insert "$NEW" >/dev/null
is "swap_e2e_loads_exactly: the new meter loads exactly the credit left" "$(simjson st3 prov3.bin remaining)" $((cleared + 600))
sim3 insert "$NEW" >/dev/null
is "and only once" "$(simjson st3 prov3.bin remaining)" $((cleared + 600))
sim3 insert "$USER_CARD" >/dev/null
is "the old card is refused by the new meter" "$(simjson st3 prov3.bin display)" "Err 07"
to_reader "$USER_CARD"
expect 16 "no sale on the old card" $K sell --meter $M --amount 10

# Money and credit reconcile to the minor unit.
expect 0 "audit and reconciliation" $K audit verify
expect 0 "the selling shift" $K --json shift show
sold=$(json expected | tr -d .)
expect 0 "the supervisor's shift" $SAM $K --json shift show
paid=$(json expected | tr -d .)
is "money: sales less refunds in the drawers" "$((sold + paid - 50000))" \
   "$(q "SELECT (SELECT sum(amount) FROM sales WHERE state = 'completed') - (SELECT sum(amount) FROM refunds)")"
is "credit: the new meter's cumulative sold is the credit carried" \
   "$(q "SELECT cumulative_sold FROM meters WHERE number = $M3")" $((cleared + 600))
is "credit: the old meter's cumulative sold = sales - refunds" \
   "$(q "SELECT cumulative_sold FROM meters WHERE number = $M")" 2600
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
