#!/bin/sh
# central-schema.sh - run under kv-pg-harness: the migrations apply from
# scratch (the harness did it once), re-running them changes nothing, a
# second database in the same cluster gets them from scratch too (the
# cluster-wide roles already exist), and a migration edited after it was
# applied is refused.
set -eu
setup=$KV_CENTRAL_SETUP
fail() {
    echo "central-schema: FAIL: $*" >&2
    exit 1
}
# (\restrict lines carry a random key per dump.)
dump() { pg_dump --schema-only --no-comments -d "$1" | grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict'; }

n_files=$(ls "$KV_CENTRAL_SQL"/[0-9]*.sql | wc -l)
[ "$(psql -tA -c 'SELECT count(*) FROM kv_meta.migrations')" = "$n_files" ] ||
    fail "not every migration is recorded"

before=$(dump kilovend)
out=$("$setup" migrate)
[ "$out" = "kilovend: up to date" ] || fail "re-run applied something: $out"
after=$(dump kilovend)
[ "$before" = "$after" ] || fail "re-running the migrations changed the schema"
echo "ok - re-run changes nothing"

KV_CENTRAL_DB=kilovend_two "$setup" migrate >/dev/null || fail "a second database did not migrate"
two=$(dump kilovend_two | sed 's/kilovend_two/kilovend/g')
[ "$two" = "$after" ] || fail "the second database's schema differs"
echo "ok - from scratch in a second database"

# An edited migration is refused, and nothing of it is applied.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$KV_CENTRAL_SQL"/*.sql "$tmp"/
echo "-- edited" >>"$tmp/002-master.sql"
if KV_CENTRAL_SQL=$tmp "$setup" migrate 2>"$tmp/err"; then
    fail "an edited migration was accepted"
fi
grep -q "002-master.sql was changed after it was applied" "$tmp/err" || fail "unclear error: $(cat "$tmp/err")"
echo "ok - edited migration refused"

# A failing new migration leaves nothing behind.
printf 'CREATE TABLE kv.half(x int);\nSELECT 1/0;\n' >"$tmp/999-broken.sql"
git_sum=$(sha256sum "$KV_CENTRAL_SQL/002-master.sql" | cut -d' ' -f1)
cp "$KV_CENTRAL_SQL/002-master.sql" "$tmp/002-master.sql"
if KV_CENTRAL_SQL=$tmp "$setup" migrate 2>"$tmp/err"; then
    fail "a failing migration was accepted"
fi
[ "$(psql -tA -c "SELECT count(*) FROM pg_class WHERE relname = 'half'")" = 0 ] || fail "half a migration stayed"
[ "$(psql -tA -c "SELECT count(*) FROM kv_meta.migrations WHERE name = '999-broken.sql'")" = 0 ] ||
    fail "a failed migration was recorded"
[ "$(psql -tA -c "SELECT sha256 FROM kv_meta.migrations WHERE name = '002-master.sql'")" = "$git_sum" ] ||
    fail "the recorded checksum changed"
echo "ok - failing migration leaves nothing"

# The summaries written once per push batch (015) on a centre whose records
# were summarised by 013's per-statement triggers: it applies over the
# data, the summaries still agree with the records, and pushes (new records,
# state changes, late payments, a replay) go on keeping them.
old=$tmp/before-015
mkdir "$old"
for f in "$KV_CENTRAL_SQL"/[0-9]*.sql; do
    [ "$(basename "$f" | cut -c1-3)" -lt 15 ] && cp "$f" "$old"/
done
KV_CENTRAL_DB=kilovend_old KV_CENTRAL_SQL=$old "$setup" migrate >/dev/null || fail "001-014 did not migrate"
opsql() { psql -d kilovend_old -tA -v ON_ERROR_STOP=1 "$@"; }
# Sale i of station 901 (5 hours apart from 2024-02-28), its state
# (every fifth cancelled) when i >= first, the payments of the odd ones.
push901() {
    opsql -v from="$1" -v to="$2" -v cancel="$3" <<'SQL' | tail -1
SELECT kv.register_station(901, 9, 'before 015') \gset
SET SESSION AUTHORIZATION kv_station_00901;
SELECT kv_api.push(jsonb_agg(r ORDER BY o)) ->> 'status' FROM (
    SELECT i * 10 AS o, jsonb_build_object('kind', 'sale', 'station', 901, 'id', i, 'content',
        jsonb_build_object('meter', 7000 + i % 3, 'card', 1000 + i % 3, 'seq', i, 'amount', 100 * i,
                           'energy', 10 * i, 'cumulative', 10 * i, 'created_at', 1709078400 + i * 18000)) AS r
    FROM generate_series(:from, :to) i
    UNION ALL
    SELECT i * 10 + 1, jsonb_build_object('kind', 'sale_state', 'station', 901, 'id', i, 'content',
        jsonb_build_object('sale', i, 'state', 'completed', 'at', 1))
    FROM generate_series(:from, :to) i
    UNION ALL
    SELECT i * 10 + 2, jsonb_build_object('kind', 'sale_state', 'station', 901, 'id', 1000 + i, 'content',
        jsonb_build_object('sale', i, 'state', 'cancelled', 'at', 2, 'cancel_seq', i))
    FROM generate_series(:from, :to) i WHERE :cancel AND i % 5 = 0
    UNION ALL
    SELECT i * 10 + 3, jsonb_build_object('kind', 'payment', 'station', 901, 'id', i, 'content',
        jsonb_build_object('payment', 'cash', 'reference', NULL))
    FROM generate_series(:from, :to) i WHERE i % 2 = 1) x;
SQL
}
summaries_agree() {
    [ "$(opsql -c 'SELECT count(*) FROM kv.summary_check()')" = 0 ] || fail "$1: the summaries differ from the records"
    [ "$(opsql -c 'SELECT sum(n) || '"'/'"' || sum(cancelled) FROM kv.sales_daily')" = "$2" ] ||
        fail "$1: sales/cancelled in the summaries: $(opsql -c "SELECT sum(n) || '/' || sum(cancelled) FROM kv.sales_daily")"
}
[ "$(push901 1 40 false)" = ok ] || fail "push before 015"
summaries_agree "before 015" 40/0
KV_CENTRAL_DB=kilovend_old "$setup" migrate >/dev/null || fail "015 did not apply over 013/014 data"
summaries_agree "015 applied" 40/0
[ "$(push901 1 40 false)" = ok ] || fail "replay after 015"
summaries_agree "a replay" 40/0
[ "$(push901 1 60 true)" = ok ] || fail "push after 015"
summaries_agree "cancels and new sales" 60/12
echo "ok - 015 applies over 013/014 data; pushes keep the summaries"
