#!/bin/sh
# test-card-batch.sh - `kilovendctl card batch FILE.csv` at a real reader
# (run inside tests/pcsc/kv-pcsc-env --no-card): for each meter the command
# asks for the next blank card and waits for it through PC/SC, issues it,
# reports it and waits for it to be taken out; the test plays the operator
# through the virtual card's control (insert FILE / remove).  Interrupted
# (killed while waiting), the same command resumes: rows done are skipped.
set -u
K=${KILOVENDCTL:?}
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
export KILOVEND_DB=$dir/ledger.db KILOVEND_KEYS=$dir/station.keys KILOVEND_USER=admin
export KILOVEND_PASSWORD=adminpass1 KILOVEND_PASSPHRASE=passphrase1 TZ=UTC
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
# until FILE has at least N lines matching PATTERN (20 s at most)
waitfor() {
    i=0
    while [ "$(grep -c -- "$3" "$1" 2>/dev/null)" -lt "$2" ]; do
        i=$((i + 1))
        if [ $i -gt 200 ]; then
            fail "waited for '$3' (x$2) in $1"; cat "$1"; return 1
        fi
        sleep 0.1
    done
    return 0
}
run_batch() { # start the batch in the background, prompts on err.N, results on out.N
    $K card batch batch.csv >"out.$1" 2>"err.$1" &
    pid=$!
}
finish() { # wait for the batch to end; its exit code must be $1
    wait "$pid"; rc=$?; pid=
    [ "$rc" -eq "$1" ] && ok "batch ended with exit $rc" || { fail "batch exit $rc, expected $1"; cat err.*; }
}
feed() { # feed RUN N CARDFILE: answer the N-th prompt with a blank card, take it out
    waitfor "err.$1" "$2" "insert the next blank card" || return 1
    $KV_PCSC_CTL insert "$dir/$3"
    waitfor "err.$1" "$2" "take the card out" || return 1
    $KV_PCSC_CTL remove
}

$K init --utility-name "Lake Power" --utility-code 4711 --currency KES >/dev/null || fail init
$K tariff add --code DEFAULT --block 10 --from 2020-01-01 >/dev/null || fail tariff
for m in 123456782 111111118 222222226 333333334; do
    $K meter add --number $m --hoarding 500 --alarm 5 --pretrip 2 >/dev/null || fail "meter $m"
done
printf 'meter\n123456782\n111111118\n222222226\n333333334\n' >batch.csv
for n in 1 2 3 4; do $K card blank b$n.card >/dev/null; done

# First run: two cards, then the operator stops it while it waits.
run_batch 1
feed 1 1 b1.card && feed 1 2 b2.card
waitfor err.1 3 "insert the next blank card" && grep -q "\[3/4\] insert the next blank card (for meter 222222226)" err.1 &&
    ok "prompt names the row and the meter" || fail "third prompt: $(cat err.1)"
grep -q "line 2: meter 123456782: issued card" out.1 && ok "first card reported when done" || fail "report 1: $(cat out.1)"
grep -q "line 3: meter 111111118: issued card" out.1 && ok "second card reported when done" || fail "report 2: $(cat out.1)"
kill -TERM "$pid"; wait "$pid" 2>/dev/null; pid=
n=$(sqlite3 "$KILOVEND_DB" "SELECT count(*) FROM cards WHERE type = 1 AND status = 'active'")
[ "$n" = 2 ] && ok "two cards issued before the interruption" || fail "$n cards after the interruption"

# Second run resumes at row 3; a card that is not blank fails its row only.
run_batch 2
feed 2 1 b3.card
waitfor err.2 1 "take the card out" && ok "third card issued"
grep -q "\[1/4\]\|\[2/4\]" err.2 && fail "rows already done were asked for again: $(cat err.2)"
grep -q "meter 123456782: already has card" out.2 && ok "done rows skipped" || fail "skip report: $(cat out.2)"
feed 2 2 b1.card
finish 1
grep -q "meter 333333334: ERROR: .*already issued" out.2 && ok "an issued card is refused for a new meter" || fail "refusal: $(cat out.2)"
grep -q "3 done, 1 failed" out.2 && ok "summary" || fail "summary: $(cat out.2)"

# Third run: only the failed row is left.
run_batch 3
feed 3 1 b4.card
finish 0
[ "$(grep -c "insert the next blank card" err.3)" = 1 ] && ok "only the failed row asked for a card" || fail "prompts: $(cat err.3)"
n=$(sqlite3 "$KILOVEND_DB" "SELECT count(*) FROM cards WHERE type = 1 AND status = 'active'")
[ "$n" = 4 ] && ok "four cards active" || fail "$n cards active"
i=0
for m in 123456782 111111118 222222226 333333334; do
    i=$((i + 1))
    $K --json --card-file b$i.card card read >read.txt 2>&1 || fail "read b$i.card: $(cat read.txt)"
    grep -q "\"meter\": $m" read.txt && grep -q '"kind": "credit"' read.txt &&
        ok "card b$i is the card of meter $m, with its token" || fail "b$i.card: $(cat read.txt)"
done
$K audit verify >/dev/null || fail "audit"
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
