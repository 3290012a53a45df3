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
