#!/bin/sh
# test-issued-e2e.sh - the emulator attack through the real PC/SC stack
# (run inside tests/pcsc/kv-pcsc-env with a blank card): kilovend-vcard
# told to lie ("stale on": the token's bytes land, reads answer with the old
# content) makes the sale issued, not failed; when the card later shows
# the token, the sale is proven and an anomaly raised; a voided sale's
# token used as the next base raises own-token-above-sold; `check` lists
# them and the ledger still reconciles.
set -u
. "$(dirname "$0")/ctl-common.sh"

station 500
expect 0 "issue on the blank card in the reader" $K --json card issue --meter 123456782
expect 0 "shift" $K shift open
expect 0 "honest sale" $K --json sell --meter 123456782 --amount 100

# 1. The emulator: the whole token is written, the read answers the old content.
$KV_PCSC_CTL stale on
expect 11 "sale through the lying card is not completed" $K sell --meter 123456782 --amount 50
has "$dir/err.txt" "ISSUED" "the sale is reported issued"
expect 0 "listed" $K --json sale unresolved
has "$dir/out.txt" '"state":"issued"' "the sale is issued, not failed"
sale=$(json sale)
expect 11 "the shift does not close over it" $K shift close --counted 150
# The card tells the truth again and comes to the counter with the token.
$KV_PCSC_CTL stale off
expect 0 "next sale proves the issued one" $K --json sell --meter 123456782 --amount 10
has "$dir/err.txt" "issued-proven" "the proof is an anomaly the cashier sees"
[ "$(json cumulative)" = 1600 ] || { echo "FAIL: cumulative $(json cumulative)"; fails=$((fails + 1)); }
expect 0 "sale shown completed" $K --json sale show "$sale"
[ "$(json state)" = completed ] || { echo "FAIL: state $(json state)"; fails=$((fails + 1)); }

# 2. Void, then the token comes back as a base.
$KV_PCSC_CTL stale on
expect 11 "another lying sale" $K sell --meter 123456782 --amount 40
$KV_PCSC_CTL stale off
expect 0 "listed" $K --json sale unresolved
sale2=$(json sale)
expect 0 "the supervisor voids it" $K sale resolve "$sale2" --void --reason "customer says nothing arrived"
expect 0 "the next sale on that card" $K --json sell --meter 123456782 --amount 10
has "$dir/err.txt" "own-token-above-sold" "the void token as a base raises the anomaly"
expect 0 "anomaly list" $K anomaly list
has "$dir/out.txt" "own-token-above-sold" "listed"
has "$dir/out.txt" "sale ref $sale2" "names the sale ref"
expect 0 "check" $K check
has "$dir/out.txt" "ledger reconciles" "reconciles, adoption on record"
has "$dir/out.txt" "OPEN: anomaly" "open anomalies listed"
expect 0 "audit verify" $K audit verify
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
