#!/bin/sh
# test-card-e2e.sh - kilovendctl through the real PC/SC stack (run inside
# tests/pcsc/kv-pcsc-env with a blank card): issue, sell, read, cancel, a
# pulled card mid-sale settled on the next read, and a replacement card.
set -u
. "$(dirname "$0")/ctl-common.sh"

station 500
expect 0 "issue on the blank card in the reader" $K --json card issue --meter 123456782
serial=$(json serial)
expect 0 "shift" $K shift open
expect 0 "sell 100.00" $K --json sell --meter 123456782 --amount 100
[ "$(json state)" = completed ] || { echo "FAIL: sale state"; fails=$((fails + 1)); }
expect 0 "read" $K --json card read
[ "$(json cumulative)" = 1000 ] || { echo "FAIL: card cumulative $(json cumulative)"; fails=$((fails + 1)); }
expect 0 "sell 50.00" $K --json sell --meter 123456782 --amount 50
sale=$(json sale)
expect 0 "cancel the last sale" $K --json cancel --sale "$sale" --reason test
expect 0 "read after cancel" $K --json card read
[ "$(json cumulative)" = 1000 ] || { echo "FAIL: cumulative after cancel $(json cumulative)"; fails=$((fails + 1)); }

# The card is pulled after 10 bytes of the next sale's token.
$KV_PCSC_CTL tear 10
waitcard
expect 11 "sale with the card pulled midway stays unsettled" $K sell --meter 123456782 --amount 20
$KV_PCSC_CTL insert
waitcard
expect 0 "the next read settles it" $K --json card read
[ "$(json settled)" = 1 ] || { echo "FAIL: settled $(json settled)"; cat "$dir/out.txt"; fails=$((fails + 1)); }
# Bytes of the token left the station: the sale is issued (not "failed,
# nothing due"), listed until proof, a covering sale or a supervisor.
expect 0 "the torn sale stays listed as issued" $K --json sale unresolved
grep -q '"state":"issued"' "$dir/out.txt" || { echo "FAIL: unresolved $(cat "$dir/out.txt")"; fails=$((fails + 1)); }
expect 0 "sell again" $K --json sell --meter 123456782 --amount 30
[ "$(json cumulative)" = 1300 ] || { echo "FAIL: cumulative $(json cumulative) after the torn sale"; fails=$((fails + 1)); }
expect 0 "the new sale covers the torn one" $K --json sale unresolved
[ "$(cat "$dir/out.txt")" = "[]" ] || { echo "FAIL: unresolved $(cat "$dir/out.txt")"; fails=$((fails + 1)); }

# Lost card: a blank one replaces it and carries the 13 kWh.
$K card blank "$dir/new.card" >/dev/null
$KV_PCSC_CTL insert "$dir/new.card"
waitcard
expect 0 "replace" $K --json card replace --meter 123456782 --reason lost
[ "$(json cumulative)" = 1300 ] || { echo "FAIL: replacement cumulative $(json cumulative)"; fails=$((fails + 1)); }
[ "$(json replaces)" = "$serial" ] || { echo "FAIL: replaces $(json replaces)"; fails=$((fails + 1)); }
$KV_PCSC_CTL insert "$KV_VCARD_CARD"
waitcard
expect 16 "the old card is refused" $K sell --meter 123456782 --amount 10
expect 0 "audit" $K audit verify
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
