#!/bin/sh
# Real PC/SC clients against the virtual card (run inside kv-pcsc-env with a
# blank card): pcsc_scan must name it an SLE 4442, and the scriptor script
# given as $1 must read, present the factory PSC and write.
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }

scan=$(pcsc_scan -t 3 2>&1 | tr -d '\033') || true
echo "$scan" | grep -q "ATR: 3B 04 A2 13 10 91" || fail "pcsc_scan did not see the card: $scan"
echo "$scan" | grep -q "SLE 4442" || fail "pcsc_scan did not name it an SLE 4442: $scan"
echo "pcsc_scan: SLE 4442 card in $KV_PCSC_READER"

out=$(scriptor -r "$KV_PCSC_READER" "$1" 2>&1) || fail "scriptor failed: $out"
echo "$out"
expect() {
    echo "$out" | grep -q "^< $1" || fail "scriptor: no answer '$1'"
}
expect "OK: 3B 04 A2 13 10 91"
expect "A2 13 10 91 90 00"
expect "07 00 00 00 90 00"
expect "90 07"
expect "4B 56 30 31 90 00"
# and the card itself holds the bytes (main memory starts at offset 8)
got=$(od -An -tx1 -j $((8 + 0xE0)) -N 4 "$KV_VCARD_CARD" | tr -d ' \n')
[ "$got" = 4b563031 ] || fail "card file holds $got at 0xE0"
echo "card file: 4B 56 30 31 at 0xE0"
