#!/bin/sh
# bench-central-reports.sh - the head office's reports at volume
# (docs/multi-office.md, "Benchmarks"): N sales over S stations (10 offices)
# and one year, generated with SQL at the centre (each sale with its
# completed state and one audit row, contents shaped as stations push
# them, and its payment record: 70 % cash, 20 % mobile money, 10 % bank
# card), then the time of each report and the bytes stored per sale.
# The rows go in with INSERT ... SELECT, one statement per table, through
# the same triggers as a push (db/central/013: the summaries the reports
# read are the ones the push path keeps); kv.summary_check() then
# recomputes them from the records and must find no difference.
#   tools/bench-central-reports.sh [SALES [STATIONS]]   default 1000000 100
# SALES may end in k or M (1M, 10M).
# Runs its own server (tests/central/kv-pg-harness); needs postgresql-15.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-1000000}
case "$n" in *k) n=$(( ${n%k} * 1000 )) ;; *M) n=$(( ${n%M} * 1000000 )) ;; esac
stations=${2:-100}
case "$n$stations" in *[!0-9]*) echo "usage: $0 [SALES [STATIONS]]" >&2; exit 2 ;; esac
if [ -z "${KV_PG_DIR:-}" ]; then
    KV_CENTRAL_SQL="$here/../db/central" KV_PG_CONF="shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min" \
        exec "$here/../tests/central/kv-pg-harness" --stations "1:0" -- sh "$0" "$n" "$stations"
fi
q() { psql -X -q -tA -v ON_ERROR_STOP=1 "$@"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

t=$(date +%s%N)
q -v n="$n" -v s="$stations" <<'SQL' >"$KV_PG_DIR/gen.log"
SET client_min_messages = warning;
SELECT kv.register_station(i, 1 + (i - 1) % 10, 'station ' || i) FROM generate_series(1, :s) i;
INSERT INTO kv.tariffs(code) VALUES ('DEFAULT');
INSERT INTO kv.customers(id, account, name, created_at)
    SELECT i, 'ACC-' || i, 'Customer ' || i, 0 FROM generate_series(1, 50000) i;
INSERT INTO kv.meters(number, customer_id, tariff_code, key_version, psc_key_version, alarm_level,
                      pretrip_level, hoarding_limit, created_at)
    SELECT 100000 + i, i, 'DEFAULT', 1, 1, 500, 200, 100000, 0 FROM generate_series(1, 50000) i;
-- Sale i: station 1 + i % S, its local id i / S + 1, a year from 2023-01-01.
-- The server process's CPU seconds (user + system, from /proc): a step's
-- cost apart from the other work on the machine.
CREATE FUNCTION pg_temp.cpu() RETURNS numeric LANGUAGE sql AS $$
    SELECT (a[12]::numeric + a[13]::numeric) / 100
    FROM (SELECT string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS a) x
$$;
\timing on
SELECT 'cpu: ' || pg_temp.cpu();
\echo step: numbering the sales (temporary table)
CREATE TEMP TABLE g AS
    SELECT i, 1 + i % :s AS st, i / :s + 1 AS lid,
           -- a meter buys at its own station (meter = station mod S), one
           -- sale in ten at the next station
           100001 + ((i / :s) * 7919 % (50000 / :s)) * :s + (i % :s + (i / :s % 10 = 0)::int) % :s AS meter,
           1672531200 + (i::numeric * 31536000 / :n)::bigint AS at,
           100 + (i * 31) % 9900 AS amount
    FROM generate_series(0::bigint, :n - 1) i;
SELECT 'cpu: ' || pg_temp.cpu();
\echo step: kv.sales (and the summaries)
INSERT INTO kv.sales(station_no, local_id, content, meter_number, card_serial, customer_id, seq, amount,
                     energy, cumulative, created_at)
    SELECT st, lid, jsonb_build_object('meter', meter, 'card', st::bigint << 20 | (meter - 100000),
               'customer', meter - 100000, 'tariff', 1, 'cashier', 2, 'shift', lid / 40 + 1, 'seq', lid,
               'amount', amount, 'fixed_charge', 0, 'debt_recovered', 0, 'energy_net', amount * 7 / 10,
               'vat', amount - amount * 7 / 10, 'energy', amount * 7 / 10, 'base_cumulative', lid * 500,
               'cumulative', lid * 500 + amount * 7 / 10, 'blocks', '1:' || amount * 7 / 10,
               'office', 1 + (st - 1) % 10, 'created_at', at),
           meter, st::bigint << 20 | (meter - 100000), meter - 100000, lid, amount, amount * 7 / 10,
           lid * 500 + amount * 7 / 10, at
    FROM g;
SELECT 'cpu: ' || pg_temp.cpu();
\echo step: kv.sale_states (and the summaries)
INSERT INTO kv.sale_states(station_no, local_id, content, sale_id, meter_number, state, at)
    SELECT st, lid, jsonb_build_object('sale', lid, 'state', 'completed', 'at', at + 5, 'cancel_seq', NULL),
           lid, meter, 'completed', at + 5
    FROM g;
SELECT 'cpu: ' || pg_temp.cpu();
\echo step: kv.audit
INSERT INTO kv.audit(station_no, local_id, content, prev_hash, hash)
    SELECT st, lid, jsonb_build_object('at', at + 5, 'user', 2, 'action', 'sale.completed', 'object', 'sale',
               'detail', 'sale=' || lid || ' meter=' || meter || ' amount=' || amount || ' state=completed',
               'prev_hash', encode(sha256(int8send(i - 1)), 'hex'), 'hash', encode(sha256(int8send(i)), 'hex'),
               'mac', encode(sha256(int8send(-i)), 'hex')),
           sha256(int8send(i - 1)), sha256(int8send(i))
    FROM g;
SELECT 'cpu: ' || pg_temp.cpu();
\echo step: kv.payments (and the summaries)
INSERT INTO kv.payments(station_no, local_id, content, payment, reference)
    SELECT st, lid, jsonb_build_object('payment', p, 'reference', r), p, r
    FROM (SELECT st, lid, CASE WHEN i % 10 < 7 THEN 'cash' WHEN i % 10 < 9 THEN 'mobile-money' ELSE 'bank-card' END AS p,
                 CASE WHEN i % 10 >= 7 THEN 'REF-' || i END AS r FROM g) x;
SELECT 'cpu: ' || pg_temp.cpu();
\echo step: VACUUM ANALYZE
VACUUM (ANALYZE) kv.sales, kv.sale_states, kv.audit, kv.payments, kv.stations, kv.customers, kv.meters,
    kv.sales_daily, kv.meter_month;
SELECT 'cpu: ' || pg_temp.cpu();
SQL
gen=$(ms "$t")
# Each step's time (psql's \timing after the step's label).
awk '/^cpu: /{if (name != "") printf "  %s: %.1f s (%.1f s of the server'"'"'s CPU)\n", name, wall / 1000, $2 - cpu; cpu = $2; name = ""}
     /^step: /{name = substr($0, 7); wall = 0} /^Time: /{wall += $2}' "$KV_PG_DIR/gen.log"
bytes=$(q -c "SELECT sum(pg_total_relation_size(c)) FROM unnest(ARRAY['kv.sales', 'kv.sale_states', 'kv.audit']::regclass[]) c")
pay_bytes=$(q -c "SELECT pg_total_relation_size('kv.payments')")
sales_bytes=$(q -c "SELECT pg_total_relation_size('kv.sales')")
echo "sales $n over $stations stations (10 offices, 50,000 meters, one year): generated in $((gen / 1000)) s"
echo "stored: $((bytes / n)) bytes/sale (sale + state + audit row, with indexes); sales table alone $((sales_bytes / n)) bytes/sale; payment records $((pay_bytes / n)) bytes/sale more"
echo "bytes per sale by relation (pg_relation_size; table with its TOAST, then each index):"
q -c "SELECT format('  %-28s %6s B/sale', c.oid::regclass, round(pg_relation_size(c.oid) * 1.0 / $n)
                     + CASE WHEN c.reltoastrelid <> 0 THEN round(pg_total_relation_size(c.reltoastrelid) * 1.0 / $n) ELSE 0 END)
      FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
      WHERE ns.nspname = 'kv' AND c.relkind IN ('r', 'i') AND pg_relation_size(c.oid) > 8192 * 8
      ORDER BY pg_relation_size(c.oid) DESC"
t=$(date +%s%N)
diff=$(q -c "SELECT count(*) FROM kv.summary_check()")
echo "summaries: $(q -c "SELECT count(*) FROM kv.sales_daily") daily rows, $(q -c "SELECT count(*) FROM kv.meter_month") meter-month rows; kv.summary_check(): $diff differences ($(ms "$t") ms to recompute from the records)"
[ "$diff" = 0 ] || { echo "the summaries differ from the records" >&2; exit 1; }
report() { # report NAME SQL: first and second run (ms), rows
    t=$(date +%s%N); rows=$(q -c "SELECT count(*) FROM ($2) x"); first=$(ms "$t")
    t=$(date +%s%N); q -c "SELECT count(*) FROM ($2) x" >/dev/null; second=$(ms "$t")
    echo "$1: ${first} ms (again: ${second} ms), $rows rows"
}
report "daily (2023-06-15, $((n / 365)) sales)" "SELECT * FROM kv_report.daily('2023-06-15')"
report "monthly (2023-06, $((n / 12)) sales)" "SELECT * FROM kv_report.monthly('2023-06-01')"
report "month's days (2023-06)" "SELECT * FROM kv_report.month_days('2023-06-01')"
report "customer history (ACC-4242)" "SELECT * FROM kv_report.customer_history('ACC-4242')"
report "payments, daily (2023-06-15)" "SELECT r.* FROM kv_report.span('2023-06-15') p, kv_report.payments(p.from_ts, p.to_ts) r"
report "payments, monthly (2023-06)" "SELECT r.* FROM kv_report.span('2023-06') p, kv_report.payments(p.from_ts, p.to_ts) r"
report "alarms (loaded above sold)" "SELECT * FROM kv_report.loaded_above_sold()"
