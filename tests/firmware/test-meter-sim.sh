#!/bin/sh
# test-meter-sim.sh SIM TESTKIT: kilovend-meter-sim end to end, through its
# command line, with card files in the kilovend-vcard format.
set -eu
sim=$(realpath "$1")
kit=$(realpath "$2")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
fails=0
check() { # check DESCRIPTION COMMAND...
    what=$1
    shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}
json() { "$sim" --state st --config prov.bin status --json; }
has() { json | grep -q "$1"; }

"$kit" office provision prov.bin 2000 500 10000 0
"$kit" office card user.card user 1001
"$kit" office sell user.card 5000

check "--version" sh -c "'$sim' --version | grep -q '^kilovend-meter-sim '"
check "fresh meter is cut off at 0" has '"display":"0000.00kWh"'
check "load a card" "$sim" --state st --config prov.bin insert user.card
check "display shows the load" has '"display":"Ld 0050.00kWh"'
check "remaining 50 kWh" has '"remaining":5000,'
check "readback written to the card file" sh -c "'$kit' office readback user.card | grep -q '^5000 0 '"
check "same card again: a balance check, accepted" sh -c "'$sim' --state st --config prov.bin insert user.card | grep -q 'accepted (code 0)'"
check "balance check shows bALAncE" has '"display":"bALAncE"'
check "balance check: nothing loaded" has '"remaining":5000,"cumulative_loaded":5000,'
check "balance check: a new readback, result ok" sh -c "'$kit' office readback user.card | grep -q '^5000 0 2 '"
check "run 3 kW for 2 h" "$sim" --state st --config prov.bin run --kw 3 --hours 2
check "6 kWh drawn, split over phases" has '"phase_energy":\[200,200,200\]'
check "remaining 44 kWh" has '"remaining":4400,'
check "status text" sh -c "'$sim' --state st --config prov.bin status | grep -q '^remaining:  44.00 kWh'"
"$sim" --state st --config prov.bin run --kw 10 --hours 2.5 --phases 1,0,0 >/dev/null
check "below alarm: red lamp" has '"lamps":{"red":true,"yellow":false}'
"$sim" --state st --config prov.bin run --kw 10 --hours 1.5 --phases 1,0,0 >/dev/null
check "below pre-trip: yellow, relay open" has '"relay":"open","relay_welded":false,"supply":"tripped"'
check "user card recloses" sh -c "'$sim' --state st --config prov.bin insert user.card | grep -q rEcLOSE"
check "relay closed after the card" has '"relay":"closed"'
"$sim" --state st --config prov.bin run --kw 10 --hours 1 >/dev/null
check "at zero: 0000.00kWh, open" has '"display":"0000.00kWh".*"relay":"open"'
check "welded relay" "$sim" --state st --config prov.bin fail-relay on
"$sim" --state st --config prov.bin run --kw 1 --hours 1 >/dev/null
# 1.00 kWh drawn while welded, plus what the phases had not yet completed
check "over-zero while welded" has '"remaining":-10[0-2],'
check "relay fault logged" has '"name":"relay fault"'
"$sim" --state st --config prov.bin fail-relay off >/dev/null
"$kit" office sell user.card 2000
check "load offsets the over-zero" "$sim" --state st --config prov.bin insert user.card
check "remaining about 19 kWh" has '"remaining":189[89],'
check "power restored" has '"relay":"closed"'
"$sim" --state st --config prov.bin cover open >/dev/null
check "cover tamper" has '"cover":true'
check "power cycle keeps the ledger" "$sim" --state st --config prov.bin power-cycle
rem=$(json | sed 's/.*"remaining":\([-0-9]*\),.*/\1/')
"$sim" --state st --config prov.bin power-cycle >/dev/null
check "remaining kept across a power cycle" has "\"remaining\":$rem,"
check "power fail logged" has '"name":"power fail"'
check "button pages" sh -c "'$sim' --state st --config prov.bin button | grep -q 'E 0'"
check "button held with credit: no emergency credit" sh -c "'$sim' --state st --config prov.bin button --hold | grep -q '^emergency credit: not taken$'"
for n in 3 4 5 6; do "$sim" --state st --config prov.bin button >/dev/null; done
check "button page 7: the meter number" sh -c "'$sim' --state st --config prov.bin button | grep -q 'display: n123456782$'"
check "button page 8: the firmware version" sh -c "'$sim' --state st --config prov.bin button | grep -q 'display: UEr [0-9.]*$'"
printf 'garbage' > bad.card
check "bad card file: clear error" sh -c "'$sim' --state st --config prov.bin insert bad.card 2>&1 | grep -q 'not a card file'"
check "missing config: clear error" sh -c "'$sim' --state st --config nope.bin status 2>&1 | grep -q 'no such provisioning block'"
head -c 96 /dev/zero > zero.bin
check "invalid block: unprovisioned" sh -c "'$sim' --state st2 --config zero.bin status --json 2>/dev/null | grep -q '\"display\":\"UnProG\"'"
# Reflashing the block reboots a real meter: a run with another block (or
# none) must not bring back, nor overwrite, the RAM of the earlier meter.
"$kit" office3 card u3.card user 3001
"$kit" office3 sell u3.card 3000
"$kit" office4 provision other.bin 2000 500 10000 0 22222222
"$sim" --state rf --config prov.bin insert u3.card >/dev/null
check "reflash: credit loaded" sh -c "'$sim' --state rf --config prov.bin status --json | grep -q '\"cumulative_loaded\":3000,'"
check "reflash: an invalid block shows UnProG" sh -c "'$sim' --state rf --config zero.bin status 2>/dev/null | grep -q UnProG"
check "reflash: the good block again keeps the credit" sh -c "'$sim' --state rf --config prov.bin status --json | grep -q '\"remaining\":3000,'"
"$sim" --state rf --config prov.bin power-cycle >/dev/null
check "reflash: credit kept across a power cycle" sh -c "'$sim' --state rf --config prov.bin status --json | grep -q '\"remaining\":3000,'"
check "reflash: another meter's block is refused (Err 26)" sh -c "'$sim' --state rf --config other.bin status --json | grep -q '\"display\":\"Err 26\"'"
"$sim" --state rf --config other.bin power-cycle >/dev/null
check "reflash: own block after another meter's keeps the credit" sh -c "'$sim' --state rf --config prov.bin status --json | grep -q '\"remaining\":3000,'"
"$sim" --state rf --config prov.bin power-cycle >/dev/null
check "reflash: and across a power cycle" sh -c "'$sim' --state rf --config prov.bin status --json | grep -q '\"remaining\":3000,'"
check "reflash: the load was not given twice (a balance check)" sh -c "'$sim' --state rf --config prov.bin insert u3.card | grep -q '^display: bALAncE$'"
check "reflash: remaining still 30 kWh" sh -c "'$sim' --state rf --config prov.bin status --json | grep -q '\"remaining\":3000,'"
# the memory of the earlier firmware (keys in the EEPROM, no load mark, no
# internal flash file): the first boot moves the keys inside
mkdir old
"$kit" office nv-v1 old/nv.bin 3000 3000
check "earlier firmware's memory: the key is in its nv.bin" "$kit" office has-key old/nv.bin
check "earlier firmware's memory: the ledger is read" sh -c "'$sim' --state old --config prov.bin status --json | grep -q '\"remaining\":3000,'"
check "earlier firmware's memory: grows to the new size" sh -c "[ \$(wc -c < old/nv.bin) -gt 1408 ]"
check "earlier firmware's memory: no key left in nv.bin" sh -c "! '$kit' office has-key old/nv.bin"
check "earlier firmware's memory: the key is in secure.bin" "$kit" office has-key old/secure.bin
check "secure.bin is 0600" sh -c "[ \$(stat -c %a old/secure.bin) = 600 ]"
check "earlier firmware's memory: no tamper" sh -c "'$sim' --state old --config prov.bin status --json | grep -q '\"memory\":false'"
# a clip on the EEPROM: erased, the meter restores from internal flash
head -c 1472 /dev/zero | tr '\000' '\377' > old/nv.bin
rm -f old/ram.bin
check "clip: erased EEPROM raises the memory tamper" sh -c "'$sim' --state old --config prov.bin status --json | grep -q '\"memory\":true'"
check "clip: erased EEPROM keeps the credit loaded" sh -c "'$sim' --state old --config prov.bin status --json | grep -q '\"cumulative_loaded\":3000,'"
# Balance check after some use (the credit follows "bALAncE" 5 s later),
# then an older card (replaced since).
"$kit" ob card b1.card user 2001
"$kit" ob sell b1.card 3000
"$sim" --state bc --config prov.bin insert b1.card >/dev/null
"$sim" --state bc --config prov.bin run --kw 3.6 --hours 0.25 --phases 1,0,0 >/dev/null
"$sim" --state bc --config prov.bin button >/dev/null  # page 1: the total energy
check "balance check after use: accepted" "$sim" --state bc --config prov.bin insert b1.card
check "balance check after use: bALAncE" sh -c "'$sim' --state bc --config prov.bin status --json | grep -q '\"display\":\"bALAncE\"'"
check "balance check after use: the readback has the credit left" sh -c "'$kit' ob readback b1.card | grep -q '^2910 0 '"
"$sim" --state bc --config prov.bin run --kw 0 --hours 0.002 >/dev/null
check "balance check: after 5 s the remaining credit" sh -c "'$sim' --state bc --config prov.bin status --json | grep -q '\"display\":\"0029.10kWh\"'"
"$sim" --state bc --config prov.bin run --kw 0 --hours 0.001 >/dev/null
check "balance check: after 10 s the page again" sh -c "'$sim' --state bc --config prov.bin status --json | grep -q '\"display\":\"E 0000.90kWh\"'"
"$kit" ob card b2.card user 2002
"$kit" ob sell b2.card 1000
check "replacement card loads" "$sim" --state bc --config prov.bin insert b2.card
check "the older card is refused" sh -c "! '$sim' --state bc --config prov.bin insert b1.card"
check "older card: Err 13" sh -c "'$sim' --state bc --config prov.bin status --json | grep -q '\"display\":\"Err 13\".*\"remaining\":3910,'"
check "bad --kw: clear error" sh -c "'$sim' --state st --config prov.bin run --kw abc 2>&1 | grep -q 'wants a power'"
echo "$fails failed"
[ "$fails" -eq 0 ]
