#!/bin/sh
# test-insiders.sh - the station's insiders through kilovendctl and the
# sqlite3 shell (docs/security-model.md, "Station insiders"):
#   1. a cashier guesses a supervisor's password, or the key file
#      passphrase, with --supervisor: one answer and one exit code for both,
#      counted, audited, locked out after five;
#   2. the newest audit rows deleted with the triggers dropped: `audit
#      verify --head` with the head exported before names the rows gone;
#   3. a row rewritten and the plain chain recomputed (python3, as anyone
#      with the file and the documented formula can): `audit verify --keyed`
#      and `audit verify --head` name the row.
set -u
. "$(dirname "$0")/ctl-common.sh"
q() { sqlite3 "$KILOVEND_DB" "$1"; }
# What an insider with the file and the source computes: the plain chain,
# hash = SHA-256(prev_hash || "id|at|user|action|object|detail"), over the
# logical rows (the view audit), and the hashes the compact storage keeps
# (checkpoints, head; db/020) rewritten from row $1 on.
rechain() {
    python3 - "$KILOVEND_DB" "$1" <<'EOF'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
start = int(sys.argv[2])
prev = bytes(32)
for (i, at, user, action, obj, detail) in db.execute(
        "SELECT id, at, coalesce(user_id, 0), action, object, detail FROM audit "
        "ORDER BY id").fetchall():
    h = hashlib.sha256(prev + f"{i}|{at}|{user}|{action}|{obj}|{detail}".encode()).digest()
    if i >= start:
        db.execute("UPDATE audit_checkpoints SET hash = ? WHERE id = ?", (h, i))
        db.execute("UPDATE audit_head SET hash = ? WHERE id = ?", (h, i))
    prev = h
db.commit()
EOF
}

station 100
expect 0 "blank card" $K card blank c1.card
expect 0 "issue" $K --card-file c1.card card issue --meter 123456782
for u in kofi:supervisor efua:supervisor carol:cashier; do
    expect 0 "add ${u%%:*}" env KILOVEND_NEW_PASSWORD="${u%%:*}-password" $K user add "${u%%:*}" --role "${u#*:}"
done

# 1. Guessing through the supervisor unlock, as carol.
as_carol() { # SUPERVISOR PASSWORD PASSPHRASE
    env KILOVEND_USER=carol KILOVEND_PASSWORD=carol-password KILOVEND_SUPERVISOR_PASSWORD="$2" \
        KILOVEND_PASSPHRASE="$3" $K --supervisor "$1" --card-file c1.card card read
}
expect 6 "supervisor password wrong" as_carol kofi guess-0001 passphrase1
cp err.txt wrong-password.txt
expect 6 "key file passphrase wrong (supervisor password right)" as_carol efua efua-password guess
cmp -s wrong-password.txt err.txt || { fail "the two failures answer differently:"; cat wrong-password.txt err.txt; }
grep -q "4 tries left" err.txt || fail "no count in: $(cat err.txt)"
for i in 2 3 4 5; do
    expect 6 "guess $i" as_carol kofi "guess-000$i" passphrase1
done
grep -q "now locked out" err.txt || fail "the fifth guess does not lock: $(cat err.txt)"
expect 6 "kofi locked out: the right password and passphrase are refused" as_carol kofi kofi-password passphrase1
grep -q "locked out" err.txt || fail "no lockout message: $(cat err.txt)"
[ "$(q "SELECT count(*) FROM audit WHERE object = 'user:kofi' AND action IN ('user.login-failed',
        'user.lockout') AND detail LIKE '%via=supervisor-unlock'")" = 5 ] || fail "kofi's failures not audited"
[ "$(q "SELECT count(*) FROM audit WHERE object = 'user:kofi' AND action = 'user.lockout'")" = 1 ] ||
    fail "kofi's lockout not audited"
expect 0 "efua unlocks for carol" as_carol efua efua-password passphrase1
expect 0 "an admin unlocks kofi" $K user unlock kofi
expect 0 "kofi unlocks for carol again" as_carol kofi kofi-password passphrase1

# 2. The newest rows deleted: three failed sign-ins of carol hidden.
for i in 1 2 3; do
    expect 6 "carol mistypes" env KILOVEND_USER=carol KILOVEND_PASSWORD=mistyped1 $K shift show
done
expect 0 "audit head" $K audit head
head=$(cat out.txt)
case $head in [0-9]*-????????????????????????????????????????????????????????????????) ;;
*) fail "audit head printed '$head'" ;; esac
last=${head%%-*}
# (the compact storage, db/020: its guards dropped, the rows and their
# kept hashes deleted; first the head kept with the last row left behind)
q "DROP TRIGGER audit_rows_no_update; DROP TRIGGER audit_rows_no_delete;
   DROP TRIGGER audit_checkpoints_no_update; DROP TRIGGER audit_checkpoints_no_delete;
   DELETE FROM audit_rows WHERE id > $((last - 3));
   DELETE FROM audit_checkpoints WHERE id > $((last - 3))"
expect 17 "/insiders/audit/tail-deleted-head-kept: verify alone sees the head kept past the end" $K audit verify
grep -q "rows $((last - 2))\.\.$last were deleted" out.txt || { fail "the deleted rows are not named by the kept head"; cat out.txt; }
# then, as a careful insider, the kept head moved back and recomputed
q "UPDATE audit_head SET id = $((last - 3))"
rechain "$((last - 3))"
expect 0 "audit verify without the head: the cut is invisible" $K audit verify
expect 17 "audit verify --head: the cut shows" $K audit verify --head "$head"
grep -q "rows $((last - 2))\.\.$last were deleted" out.txt || { fail "the deleted rows are not named"; cat out.txt; }

# 3. A row rewritten, the plain chain recomputed from it.
expect 0 "shift" $K shift open --float 0
expect 0 "sell" $K --card-file c1.card sell --meter 123456782 --amount 10
expect 0 "audit head" $K audit head
head=$(cat out.txt)
row=$(q "SELECT id FROM audit WHERE action = 'shift.open'")
q "UPDATE audit_rows SET detail = 'float=100000' WHERE id = $row"
rechain "$row"
expect 0 "audit verify without keys or head: the plain chain is fooled" $K audit verify
grep -q "keyed MACs not checked" out.txt || fail "verify does not say the MACs went unchecked"
expect 17 "audit verify --keyed: the rewritten row fails its MAC" $K audit verify --keyed
# shift open took no keys: its row is covered by the next keyed row (the
# sale's keys.unlock), whose MAC fails, naming the rows where the change is.
grep -q "audit row $((row + 1)) (keys.unlock keys): its keyed MAC does not match: a row from $row to $((row + 1)) was changed" out.txt ||
    { fail "the rewritten row is not named"; cat out.txt; }
expect 17 "audit verify --head: the exported head is not reached" $K audit verify --head "$head"
grep -q "audit row ${head%%-*} is not the exported head" out.txt || { fail "the head's row is not named"; cat out.txt; }
expect 3 "audit verify --head garbage" $K audit verify --head nothex

[ "$fails" -eq 0 ] && echo "all ok" || { echo "$fails failed"; exit 1; }
