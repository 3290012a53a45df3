# sync-common.sh - sourced by the station-side tests run under
# kv-pg-harness (after tests/core/ctl-common.sh): stations as shell
# functions, head office's psql, a sync.conf for the harness's server.
#   a / b ARGS...          kilovendctl on station a's / b's ledger
#   apsql SQL              head office's superuser (psql -tA)
#   same WHAT GOT WANT     a check of one value
#   kill_at_stop PID       wait until PID stopped at its test point, SIGKILL it
#   records_fp TABLE...    a digest of every record of those kv tables
#   unsold_credit          credit nobody sold: station b sells 5 on c1.card, the
#                          card is copied, the sale cancelled and synced, the copy
#                          put back and loaded by the meter (the script's sim)
#   two_offices METER [DEBT]  head office's tariff DEFAULT, customer 7 (ACC-7,
#                          owing DEBT) and its METER; station a (101, office 1)
#                          and b (201, office 2) made and synced once
#   card_at_a METER        the meter provisioned, card c1.card issued at station
#                          a, a shift open at both stations
#   centre_meter METER [DEBT]  head office's master data: tariff DEFAULT, customer 7
#                          (ACC-7, owing DEBT) and METER (key version 1)
# sync.conf (KILOVEND_SYNC_CONF) points at the harness's server with the
# harness's certificates; SYNC_BATCH sets its batch size.
: "${KV_PG_PKI:?run under tests/central/kv-pg-harness}"
a() { env KILOVEND_DB="$dir/a.db" "$K" "$@"; }
b() { env KILOVEND_DB="$dir/b.db" "$K" "$@"; }
apsql() { psql -X -q -tA -v ON_ERROR_STOP=1 -c "$1"; }
same() {
    if [ "$2" = "$3" ]; then echo "ok: $1 ($2)"; else fail "$1: got '$2', expected '$3'"; fi
}
centre_meter() {
    apsql "INSERT INTO kv.tariffs(code, name) VALUES ('DEFAULT', 'Residential');
           INSERT INTO kv.tariff_versions(id, code, effective_from, vat_bp, blocks, created_at)
               VALUES (1, 'DEFAULT', 1577836800, 0, '[{\"upto\": null, \"price_e4\": 10000000}]', 1577836800);
           INSERT INTO kv.customers(id, account, name, debt, created_at)
               VALUES (7, 'ACC-7', 'Kofi Boateng', ${2:-0}, 1577836800);
           INSERT INTO kv.meters(number, customer_id, tariff_code, key_version, psc_key_version, alarm_level,
                                 pretrip_level, hoarding_limit, created_at)
               VALUES ($1, 7, 'DEFAULT', 1, 1, 500, 200, 50000, 1577836800);"
}
kill_at_stop() {
    n=0
    while [ "$(sed -n 's/^State:\s*\(.\).*/\1/p' /proc/$1/status 2>/dev/null)" != T ] && [ $n -lt 400 ]; do
        sleep 0.05; n=$((n + 1))
    done
    [ $n -lt 400 ] || fail "the process never reached its stop point"
    kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
two_offices() {
    centre_meter "$1" "${2:-0}" || fail "master data"
    expect 0 "init office 1, station 101" a init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 1 --station 101
    expect 0 "init office 2, station 201 (same key file)" b init --utility-name "Lake Power" --utility-code 4711 --currency KES --office 2 --station 201
    expect 0 "station 101 syncs" a sync --once
    expect 0 "station 201 syncs" b sync --once
}
card_at_a() {
    expect 0 "provision the meter" a meter provision --meter "$1" --out prov.bin
    expect 0 "blank card" a card blank c1.card
    expect 0 "office 1 issues the card" a --card-file c1.card card issue --meter "$1"
    expect 0 "shift at office 1" a shift open
    expect 0 "shift at office 2" b shift open
}
records_fp() {
    q=""
    for t in "$@"; do
        q="$q${q:+ UNION ALL }SELECT '$t' || station_no || ':' || local_id || content::text AS x FROM kv.$t"
    done
    apsql "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM ($q) t"
}
unsold_credit() {
    expect 0 "office 2 sells again" b --card-file c1.card sell --meter "$M" --amount 5
    cp c1.card dump.card
    sale=$(sqlite3 "$dir/b.db" "SELECT max(id) FROM sales")
    expect 0 "office 2 cancels it (not pushed yet: allowed)" b --card-file c1.card cancel --sale "$sale" --reason refund
    expect 0 "office 2 syncs the cancel" b sync --once
    cp dump.card c1.card
    sim insert c1.card
}
cat >"$dir/sync.conf" <<EOC
[head-office]
host = $KV_PG_HOST
port = $KV_PG_PORT
dbname = $KV_PG_DB
pki = $KV_PG_PKI
batch = ${SYNC_BATCH:-500}
EOC
export KILOVEND_SYNC_CONF=$dir/sync.conf
# The end of a test: its checks' verdict.
finish() {
    if [ "$fails" -ne 0 ]; then
        echo "$fails check(s) failed"
        exit 1
    fi
    echo "all checks passed"
    exit 0
}
