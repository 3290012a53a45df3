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
#   conflict_of STATION    its conflicts' kinds at head office and its sync state
#   first_card METER       the meter provisioned (prov.bin), card c1.card issued
#                          for it at office 1, a shift open at both offices
#   centre_meter METER [DEBT]  head office's master data: tariff DEFAULT, customer 7
#                          (ACC-7, owing DEBT) and METER (key version 1)
#   centre_new_meter METER  a fresh meter registered at head office (no customer)
#   centre_state METER     head office's sold:carried:refunded energy of METER
#   swap_fingerprint       a digest of head office's records, merged state and meters
#   refund_then_swap OLD NEW  station a sells 0.9 kWh on c1.card (never loaded),
#                          refunds it, swaps OLD for NEW (estimate; new.card issued,
#                          prov3.bin; the JSON reply in out.txt)
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
centre_new_meter() {
    apsql "INSERT INTO kv.meters(number, tariff_code, key_version, psc_key_version, alarm_level, pretrip_level,
                                 hoarding_limit, created_at)
           VALUES ($1, 'DEFAULT', 1, 1, 500, 200, 50000, 1577836800)" || fail "meter $1 at head office"
}
centre_state() {
    apsql "SELECT sold_energy || ':' || carried_energy || ':' || refunded_energy FROM kv.meter_state
           WHERE meter_number = $1"
}
swap_fingerprint() {
    echo "$(records_fp refund_tokens transfers sales sale_states cards card_statuses readbacks refunds audit)" \
         "$(apsql "SELECT md5(string_agg(t::text, ',' ORDER BY meter_number)) FROM kv.meter_state t")" \
         "$(apsql "SELECT md5(string_agg(t::text, ',' ORDER BY number)) FROM kv.meters t")"
}
refund_then_swap() {
    expect 0 "a sale never loaded" a --card-file c1.card sell --meter "$1" --amount 9
    expect 0 "its refund (a token of lower cumulative on the card)" \
        a --card-file c1.card refund unloaded --meter "$1" --reason "wrong amount"
    expect 0 "a blank card for the new meter" a card blank new.card
    expect 0 "the meter swapped, the credit carried, the new meter's card issued" \
        a --card-file new.card --json meter swap --meter "$1" --new "$2" --source estimate --reason "display dead" \
        --out prov3.bin --issue
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
conflict_of() {
    apsql "SELECT coalesce(string_agg(kind, ',' ORDER BY id), '-') || ':' || (SELECT sync_state FROM kv.stations
           WHERE station_no = $1) FROM kv.conflicts WHERE station_no = $1"
}
first_card() {
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
