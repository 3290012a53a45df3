#!/bin/sh
# bench-central-reports.sh - the head office's reports at volume
# (docs/multi-office.md, "Benchmarks"): N sales over S stations (10 offices)
# and one year, each with its completed state, its audit row and its
# payment record (70 % cash, 20 % mobile money, 10 % bank card), then the
# time of each report and the bytes stored per sale.
#   tools/bench-central-reports.sh [SALES [STATIONS [PUSHED]]]
#       default 1000000 100 10; SALES may end in k or M (1M, 10M)
# Runs its own server (tests/central/kv-pg-harness; TMPDIR=DIR KV_PG_KEEP=1
# keeps its data directory in DIR); needs postgresql-15.
# KV_BENCH_DROP_CACHES=1 (root): the cold run also starts with the kernel's
# page cache dropped (it always starts with the server restarted).
#
# What is made in bulk, and why it is what pushes make:
#   Every record has the content a station pushes (kinds sale, sale_state,
#   audit, payment; the sale's audit row "sale.completed" on "sale:ID" with
#   the station's compact detail "completed AMOUNT ENERGY SEQ CUMULATIVE
#   CARD [pay=TYPE] [ref=REF]") and goes into the same columns kv.apply_record
#   fills from it.  Sale i (0 <= i < N) is at station 1 + i % S with local
#   id i / S + 1 and the same id for its state and audit row (one audit row
#   a sale, as the push numbers a sale state by its audit row).  Both paths
#   build the records from one function (kv_bench.sales), so they cannot
#   differ.
#   - The bulk part goes in time order (chunks of 100,000 sale numbers,
#     two sessions each loading its half of the stations, as pushes
#     arrive), with INSERT ... SELECT per table: the same rows, keys, check
#     constraints and indexes as a push.  Every trigger of the four tables
#     is off during the load: the summaries' statement triggers and the
#     foreign keys' per-row checks; the keys are checked once afterwards
#     with anti-joins (no state without its sale, no record without its
#     station) and the load stops if one is missing.  (The tables' other
#     triggers refuse updates and deletes, and the free-energy one fires
#     only for a sale that carries free energy: none here.)
#   - The audit chain is computed row by row (kv_bench.chain: SHA-256 of
#     the previous hash and "id|at|user|action|object|detail", the push's
#     and the station's rule), continuing each station's head, which is
#     moved after every chunk as kv_api.push moves it.
#   - The summaries are then recomputed from the records
#     (kv.summary_rebuild(), the function a change of report zone runs) and
#     the triggers enabled again; kv.summary_check() at the end must find no
#     difference.
#   - kv.meter_state (what kv.merge_meter keeps per meter) is set in one
#     statement: every sale here has one state, completed, so a meter's
#     sold energy, amount and count are the sums over its sales and its
#     sequence the highest seq; kv.merge_meter on a sample of meters must
#     then change nothing.  (No card, readback or engineering-token records:
#     the merge has nothing else to take.)
#   - The last day of stations 1..PUSHED is pushed for real, afterwards:
#     kv_api.push over TLS with each station's certificate, in batches of
#     500 sales (each sale's audit row, sale and state, then the batch's
#     payment records, the sync client's order), through the triggers and
#     the merge; every reply must be "ok" with every record new.
#   - kv_report.audit_chain, the centre's own verification, then checks the
#     whole chain of the pushing stations and of a sample of the others,
#     ending at the station's head.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-1000000}
case "$n" in *k) n=$(( ${n%k} * 1000 )) ;; *M) n=$(( ${n%M} * 1000000 )) ;; esac
stations=${2:-100}
pushed=${3:-10}
case "$n$stations$pushed" in *[!0-9]*) echo "usage: $0 [SALES [STATIONS [PUSHED]]]" >&2; exit 2 ;; esac
[ "$pushed" -le "$stations" ] || { echo "$0: PUSHED ($pushed) above STATIONS ($stations)" >&2; exit 2; }
if [ -z "${KV_PG_DIR:-}" ]; then
    # Certificates (and roles) for the stations that push.
    certs=$(seq 1 "$pushed" | awk '{printf "%s%d:%d", (NR > 1 ? " " : ""), $1, 1 + ($1 - 1) % 10}')
    KV_CENTRAL_SQL="$here/../db/central" KV_PG_CONF="shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min" \
        exec "$here/../tests/central/kv-pg-harness" --stations "${certs:-1:1}" -- sh "$0" "$n" "$stations" "$pushed"
fi
KV_PG_SERVER=$here/../tests/central/kv-pg-server
. "$here/../tests/central/fault-common.sh"
q() { psql -X -q -tA -v ON_ERROR_STOP=1 "$@"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# The server process's CPU seconds (user + system, from /proc): a step's
# cost apart from the other work on the machine.
cpu_sql="SELECT 'cpu: ' || (a[12]::numeric + a[13]::numeric) / 100
    FROM (SELECT string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS a) x;"
# The first day of the last: pushed for real by stations 1..PUSHED.
cut=1703980800

t=$(date +%s%N)
q -v n="$n" -v s="$stations" -v p="$pushed" -v cut="$cut" <<SQL >"$KV_PG_DIR/gen.log"
SET client_min_messages = warning;
SELECT kv.register_station(i, 1 + (i - 1) % 10, 'station ' || i) FROM generate_series(1, :s) i;
INSERT INTO kv.tariffs(code) VALUES ('DEFAULT');
INSERT INTO kv.customers(id, account, name, created_at)
    SELECT i, 'ACC-' || i, 'Customer ' || i, 0 FROM generate_series(1, 50000) i;
INSERT INTO kv.meters(number, customer_id, tariff_code, key_version, psc_key_version, alarm_level,
                      pretrip_level, hoarding_limit, created_at)
    SELECT 100000 + i, i, 'DEFAULT', 1, 1, 500, 200, 100000, 0 FROM generate_series(1, 50000) i;
CREATE SCHEMA kv_bench;
-- Sales i0 <= i < i1 of n over s stations, in order, with their records'
-- contents.  Sale i: station 1 + i % s, local id i / s + 1, a year from
-- 2023-01-01; a meter buys at its own station (meter = station mod s), one
-- sale in ten at the next station.  pick: NULL every sale, true only the
-- pushed ones (stations 1..p from the day cut), false all but those; only
-- the stations numbered w + 1 modulo nw (a worker's share).
CREATE FUNCTION kv_bench.sales(i0 bigint, i1 bigint, n bigint, s integer, p integer, pick boolean,
                               w integer, nw integer)
    RETURNS TABLE (i bigint, st integer, lid bigint, meter integer, card bigint, at bigint, amount bigint,
                   energy bigint, cumulative bigint, payment text, ref text, sale jsonb, state jsonb, pay jsonb,
                   detail text)
    LANGUAGE sql IMMUTABLE AS \$\$
    -- (The contents as JSON text: jsonb_build_object looks up the type of
    -- each argument at every call, 60 us a sale here.)
    SELECT i, st, lid, meter, card, at, amount, energy, lid * 500 + energy, payment, ref,
           format('{"meter": %s, "card": %s, "customer": %s, "tariff": 1, "cashier": 2, "shift": %s, "seq": %s, '
                  '"amount": %s, "fixed_charge": 0, "debt_recovered": 0, "energy_net": %s, "vat": %s, '
                  '"energy": %s, "base_cumulative": %s, "cumulative": %s, "blocks": "1:%s", "office": %s, '
                  '"created_at": %s}', meter, card, meter - 100000, lid / 40 + 1, lid, amount, energy,
                  amount - energy, energy, lid * 500, lid * 500 + energy, energy, 1 + (st - 1) % 10, at)::jsonb,
           format('{"sale": %s, "state": "completed", "at": %s, "cancel_seq": null}', lid, at + 5)::jsonb,
           format('{"payment": "%s", "reference": %s}', payment, coalesce('"' || ref || '"', 'null'))::jsonb,
           concat_ws(' ', 'completed', amount, energy, lid, lid * 500 + energy, card,
                     CASE WHEN payment <> 'cash' THEN 'pay=' || payment END, 'ref=' || ref)
    FROM (SELECT i, st, lid, meter, at, amount, amount * 7 / 10 AS energy, st::bigint << 20 | (meter - 100000) AS card,
                 CASE WHEN i % 10 < 7 THEN 'cash' WHEN i % 10 < 9 THEN 'mobile-money' ELSE 'bank-card' END AS payment,
                 CASE WHEN i % 10 >= 7 THEN 'REF-' || i END AS ref
          FROM (SELECT i, 1 + (i % s)::integer AS st, i / s + 1 AS lid,
                       (100001 + ((i / s) * 7919 % (50000 / s)) * s + (i % s + (i / s % 10 = 0)::int) % s)::integer AS meter,
                       1672531200 + (i::numeric * 31536000 / n)::bigint AS at, 100 + (i * 31) % 9900 AS amount
                FROM generate_series(i0, i1 - 1) i) g
          WHERE (pick IS NULL OR pick = (st <= p AND at >= $cut)) AND (st - 1) % nw = w) x
\$\$;
-- Their audit rows (only station one, if given), each linked to the
-- station's row before: SHA-256(prev || "id|at|user|action|object|detail"),
-- from each station's head in kv.stations.  With move, the heads are moved
-- to the last rows, as kv_api.push does.
CREATE FUNCTION kv_bench.chain(i0 bigint, i1 bigint, n bigint, s integer, p integer, pick boolean,
                               w integer, nw integer, one integer, move boolean)
    RETURNS TABLE (a_st integer, a_lid bigint, a_at bigint, a_detail text, a_prev bytea, a_hash bytea)
    LANGUAGE plpgsql AS \$\$
DECLARE
    prev bytea[];
    head bigint[];
    r record;
    h bytea;
BEGIN
    SELECT array_agg(x.audit_head_hash ORDER BY x.station_no), array_agg(x.audit_head_id ORDER BY x.station_no)
        INTO prev, head FROM kv.stations x WHERE x.station_no BETWEEN 1 AND s;
    FOR r IN SELECT g.st, g.lid, g.at + 5 AS at, g.detail FROM kv_bench.sales(i0, i1, n, s, p, pick, w, nw) g
             WHERE one IS NULL OR g.st = one ORDER BY g.i LOOP
        IF r.lid <> head[r.st] + 1 THEN
            RAISE EXCEPTION 'station %: audit row % after %', r.st, r.lid, head[r.st];
        END IF;
        h := sha256(prev[r.st] || convert_to(format('%s|%s|%s|%s|%s|%s', r.lid, r.at, 2, 'sale.completed',
                                                    'sale:' || r.lid, r.detail), 'UTF8'));
        a_st := r.st; a_lid := r.lid; a_at := r.at; a_detail := r.detail; a_prev := prev[r.st]; a_hash := h;
        RETURN NEXT;
        prev[r.st] := h;
        head[r.st] := r.lid;
    END LOOP;
    IF move THEN
        UPDATE kv.stations x SET audit_head_id = head[x.station_no], audit_head_hash = prev[x.station_no]
            WHERE x.station_no BETWEEN 1 AND s AND (x.station_no - 1) % nw = w
              AND x.audit_head_id <> head[x.station_no];
    END IF;
END
\$\$;
-- An audit row's content as the station pushes it (its mac: the same
-- shape, 32 bytes; the centre keeps it and does not check it).
CREATE FUNCTION kv_bench.audit_content(at bigint, lid bigint, detail text, prev bytea, h bytea) RETURNS jsonb
    LANGUAGE sql IMMUTABLE AS \$\$
    SELECT format('{"at": %s, "user": 2, "action": "sale.completed", "object": "sale:%s", "detail": "%s", '
                  '"prev_hash": "%s", "hash": "%s", "mac": "%s"}', at, lid, detail, encode(prev, 'hex'),
                  encode(h, 'hex'), encode(sha256('KV-AUDIT-MAC-1'::bytea || h), 'hex'))::jsonb
\$\$;
-- Sales i0 <= i < i1 in bulk (not the pushed ones): each table, then the
-- audit rows and the stations' heads.
CREATE FUNCTION kv_bench.load(i0 bigint, i1 bigint, n bigint, s integer, p integer, w integer, nw integer)
    RETURNS void
    LANGUAGE plpgsql AS \$\$
BEGIN
    INSERT INTO kv.sales(station_no, local_id, content, meter_number, card_serial, customer_id, seq, amount,
                         energy, cumulative, created_at)
        SELECT g.st, g.lid, g.sale, g.meter, g.card, g.meter - 100000, g.lid, g.amount, g.energy, g.cumulative,
               g.at
        FROM kv_bench.sales(i0, i1, n, s, p, false, w, nw) g;
    INSERT INTO kv.sale_states(station_no, local_id, content, sale_id, meter_number, state, at)
        SELECT g.st, g.lid, g.state, g.lid, g.meter, 'completed', g.at + 5
        FROM kv_bench.sales(i0, i1, n, s, p, false, w, nw) g;
    INSERT INTO kv.payments(station_no, local_id, content, payment, reference)
        SELECT g.st, g.lid, g.pay, g.payment, g.ref FROM kv_bench.sales(i0, i1, n, s, p, false, w, nw) g;
    INSERT INTO kv.audit(station_no, local_id, content, prev_hash, hash)
        SELECT c.a_st, c.a_lid, kv_bench.audit_content(c.a_at, c.a_lid, c.a_detail, c.a_prev, c.a_hash),
               c.a_prev, c.a_hash
        FROM kv_bench.chain(i0, i1, n, s, p, false, w, nw, NULL, true) c;
END
\$\$;
-- (Every trigger of the four tables off: the summaries' and the foreign
-- keys' checks, 15 us a row each; the keys are checked once afterwards.)
ALTER TABLE kv.sales DISABLE TRIGGER ALL;
ALTER TABLE kv.sale_states DISABLE TRIGGER ALL;
ALTER TABLE kv.payments DISABLE TRIGGER ALL;
ALTER TABLE kv.audit DISABLE TRIGGER ALL;
SQL
# The bulk load: two sessions at once (the two cores), each its share of
# the stations, chunk after chunk of 100,000 sale numbers in time order.
bt=$(date +%s%N)
for w in 0 1; do
    { echo "$cpu_sql"
      seq 0 100000 $((n - 1)) | awk -v n="$n" -v s="$stations" -v p="$pushed" -v w="$w" \
          '{printf "SELECT kv_bench.load(%d, %d, %d, %d, %d, %d, 2);\n", $1, ($1 + 100000 < n ? $1 + 100000 : n), n, s, p, w}'
      echo "$cpu_sql"; } | q >"$KV_PG_DIR/load-$w.log" &
    eval "load_$w=\$!"
done
wait "$load_0" && wait "$load_1" || { echo "the bulk load failed" >&2; exit 1; }
bulk=$(ms "$bt")
bulk_cpu=$(awk '/^cpu: /{if (seen[FILENAME]++) s += $2; else s -= $2} END {printf "%.1f", s}' "$KV_PG_DIR"/load-*.log)
q <<SQL >>"$KV_PG_DIR/gen.log"
\timing on
$cpu_sql
ALTER TABLE kv.sales ENABLE TRIGGER ALL;
ALTER TABLE kv.sale_states ENABLE TRIGGER ALL;
ALTER TABLE kv.payments ENABLE TRIGGER ALL;
ALTER TABLE kv.audit ENABLE TRIGGER ALL;
$cpu_sql
\echo step: the foreign keys checked (each state's sale, each record's station)
SELECT 'missing: ' || (SELECT count(*) FROM kv.sale_states x
                       WHERE NOT EXISTS (SELECT 1 FROM kv.sales y WHERE y.station_no = x.station_no AND y.local_id = x.sale_id))
                    + (SELECT count(*) FROM (SELECT DISTINCT station_no FROM kv.sales UNION SELECT DISTINCT station_no FROM kv.payments
                                             UNION SELECT DISTINCT station_no FROM kv.audit) x
                       WHERE NOT EXISTS (SELECT 1 FROM kv.stations y WHERE y.station_no = x.station_no));
$cpu_sql
\echo step: ANALYZE
ANALYZE kv.sales, kv.sale_states, kv.payments, kv.audit;
$cpu_sql
\echo step: kv.summary_rebuild()
SELECT kv.summary_rebuild();
$cpu_sql
\echo step: kv.meter_state
INSERT INTO kv.meter_state(meter_number, max_seq, sold_energy, sold_amount, sold_count)
    SELECT meter_number, max(seq), sum(energy), sum(amount), count(*) FROM kv.sales GROUP BY 1;
$cpu_sql
SQL
# The pushes: one file of kv_api.push calls per station (batches of 500
# sales), run over TLS as the station.
i0=$(( n - n / 365 * 2 - 2 * stations )); [ "$i0" -ge 0 ] || i0=0
pt=$(date +%s%N)
for st in $(seq 1 "$pushed"); do
    q -v n="$n" -v s="$stations" -v p="$pushed" -v i0="$i0" -v st="$st" <<'SQL' >"$KV_PG_DIR/push-$st.sql"
SELECT format('SELECT kv_api.push(%L);', jsonb_agg(r.rec ORDER BY r.part, r.lid, r.k))
FROM (SELECT g.lid, (g.lid - min(g.lid) OVER ()) / 500 AS b, 0 AS part, x.k, x.rec
      FROM kv_bench.sales(:i0, :n, :n, :s, :p, true, 0, 1) g
      JOIN kv_bench.chain(:i0, :n, :n, :s, :p, true, 0, 1, :st, false) c ON c.a_lid = g.lid
      CROSS JOIN LATERAL (VALUES
          (1, jsonb_build_object('kind', 'audit', 'station', g.st, 'id', g.lid,
                                 'content', kv_bench.audit_content(c.a_at, c.a_lid, c.a_detail, c.a_prev, c.a_hash))),
          (2, jsonb_build_object('kind', 'sale', 'station', g.st, 'id', g.lid, 'content', g.sale)),
          (3, jsonb_build_object('kind', 'sale_state', 'station', g.st, 'id', g.lid, 'content', g.state))) x(k, rec)
      WHERE g.st = :st
      UNION ALL
      SELECT g.lid, (g.lid - min(g.lid) OVER ()) / 500, 1, 4,
             jsonb_build_object('kind', 'payment', 'station', g.st, 'id', g.lid, 'content', g.pay)
      FROM kv_bench.sales(:i0, :n, :n, :s, :p, true, 0, 1) g WHERE g.st = :st) r
GROUP BY r.b ORDER BY r.b;
SQL
done
pgen=$(ms "$pt")
pt=$(date +%s%N)
for st in $(seq 1 "$pushed"); do
    psql -X -q -tA -v ON_ERROR_STOP=1 "$(station_conninfo "$st")" -f "$KV_PG_DIR/push-$st.sql" >"$KV_PG_DIR/push-$st.out"
done
push=$(ms "$pt")
grep -q '^missing: 0$' "$KV_PG_DIR/gen.log" || { echo "a record without its sale or station" >&2; exit 1; }
bad=$(grep -hv '"status": "ok"' "$KV_PG_DIR"/push-*.out | head -1 || true)
[ -z "$bad" ] || { echo "a push was not ok: $bad" >&2; exit 1; }
pushed_sales=$(q -c "SELECT count(*) FROM kv.sales WHERE station_no <= $pushed AND created_at >= $cut")
sent=$(cat "$KV_PG_DIR"/push-*.out | sed 's/.*"records": \([0-9]*\).*/\1/' | awk '{s += $1} END {print s + 0}')
new=$(cat "$KV_PG_DIR"/push-*.out | sed 's/.*"new": \([0-9]*\).*/\1/' | awk '{s += $1} END {print s + 0}')
[ "$sent" = "$new" ] && [ "$new" = $((pushed_sales * 4)) ] ||
    { echo "pushed $sent records, $new new, for $pushed_sales sales" >&2; exit 1; }

q <<SQL >>"$KV_PG_DIR/gen.log"
\timing on
$cpu_sql
\echo step: VACUUM ANALYZE
VACUUM (ANALYZE) kv.sales, kv.sale_states, kv.audit, kv.payments, kv.stations, kv.customers, kv.meters,
    kv.sales_daily, kv.meter_month, kv.meter_state;
$cpu_sql
SQL
gen=$(ms "$t")
# Each step's time (psql's \timing after the step's label).
echo "  bulk load (sales, states, payments, audit rows; two sessions): $((bulk / 1000)) s ($bulk_cpu s of the servers' CPU)"
awk '/^cpu: /{if (name != "") printf "  %s: %.1f s (%.1f s of the server'"'"'s CPU)\n", name, wall / 1000, $2 - cpu; cpu = $2; name = ""}
     /^step: /{name = substr($0, 7); wall = 0} /^Time: /{wall += $2}' "$KV_PG_DIR/gen.log"
echo "  pushed for real: the last day of stations 1..$pushed, $pushed_sales sales ($new records, every one new): $((push / 1000)).$((push % 1000 / 100)) s (their batches built in $((pgen / 1000)) s)"
echo "sales $n over $stations stations (10 offices, 50,000 meters, one year): generated in $((gen / 1000)) s"

bytes=$(q -c "SELECT sum(pg_total_relation_size(c)) FROM unnest(ARRAY['kv.sales', 'kv.sale_states', 'kv.audit']::regclass[]) c")
pay_bytes=$(q -c "SELECT pg_total_relation_size('kv.payments')")
sum_bytes=$(q -c "SELECT pg_total_relation_size('kv.sales_daily') + pg_total_relation_size('kv.meter_month')")
sales_bytes=$(q -c "SELECT pg_total_relation_size('kv.sales')")
echo "stored: $((bytes / n)) bytes/sale (sale + state + audit row, with indexes); sales table alone $((sales_bytes / n)) bytes/sale; payment records $((pay_bytes / n)) bytes/sale more; summaries $((sum_bytes / n)) bytes/sale more"
echo "database: $(q -c "SELECT pg_size_pretty(pg_database_size(current_database())) || ', ' || pg_database_size(current_database()) / $n || ' bytes/sale'")"
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
# The merged meter state: kv.merge_meter on every 500th meter and on the
# pushing stations' first meters changes nothing.
t=$(date +%s%N)
merged=$(q <<SQL
CREATE TEMP TABLE b0 AS SELECT meter_number, max_seq, sold_energy, sold_amount, sold_count FROM kv.meter_state
    WHERE meter_number % 500 = 1 OR meter_number BETWEEN 100001 AND 100000 + $pushed;
SELECT kv.merge_meter(meter_number) FROM b0 \g /dev/null
SELECT count(*) || ' meters, ' || count(*) FILTER (WHERE (b.max_seq, b.sold_energy, b.sold_amount, b.sold_count)
                                     IS DISTINCT FROM (m.max_seq, m.sold_energy, m.sold_amount, m.sold_count)) || ' changed'
FROM b0 b LEFT JOIN kv.meter_state m USING (meter_number);
SQL
)
echo "kv.merge_meter again: $merged ($(ms "$t") ms)"
case "$merged" in *" 0 changed") ;; *) echo "the bulk meter state differs from the merge" >&2; exit 1 ;; esac
# The chains: every pushing station, and a sample of the others.
t=$(date +%s%N)
chains=$( (seq 1 "$pushed"; seq $((pushed + 1)) 17 "$stations"; echo "$stations") | sort -nu |
    sed 's/.*/SELECT s, c.ok, c.rows, c.reason FROM kv_report.audit_chain(&) c, (VALUES (&)) v(s);/' | q -F ' ')
echo "audit chains (kv_report.audit_chain) of $(echo "$chains" | wc -l) stations: $(echo "$chains" | awk '$2 == "t"' | wc -l) verify ($(ms "$t") ms)"
echo "$chains" | awk '$2 != "t" {print "  station " $1 ": " $0; bad = 1} END {exit bad}' >&2 ||
    { echo "an audit chain does not verify" >&2; exit 1; }
q -c "SET client_min_messages = warning; DROP SCHEMA kv_bench CASCADE"

# The reports: the first run after a restart of the server (empty shared
# buffers; with KV_BENCH_DROP_CACHES=1 the kernel's page cache dropped too),
# then three more.  Times include psql's connection.
q -c "CHECKPOINT"
server crash
server start
if [ "${KV_BENCH_DROP_CACHES:-0}" = 1 ]; then
    sync
    echo 1 >/proc/sys/vm/drop_caches
fi
q -c "SELECT 1" >/dev/null
report() { # report NAME SQL: cold run, three warm runs (ms), rows
    t=$(date +%s%N); rows=$(q -c "SELECT count(*) FROM ($2) x"); first=$(ms "$t")
    again=""
    for k in 1 2 3; do
        t=$(date +%s%N); q -c "SELECT count(*) FROM ($2) x" >/dev/null; again="$again${again:+, }$(ms "$t")"
    done
    echo "$1: ${first_run:-cold} ${first} ms, warm ${again} ms, $rows rows"
}
report "daily (2023-06-15, $((n / 365)) sales)" "SELECT * FROM kv_report.daily('2023-06-15')"
report "monthly (2023-06, $((n / 12)) sales)" "SELECT * FROM kv_report.monthly('2023-06-01')"
report "month's days (2023-06)" "SELECT * FROM kv_report.month_days('2023-06-01')"
report "customer history (ACC-4242)" "SELECT * FROM kv_report.customer_history('ACC-4242')"
report "payments, daily (2023-06-15)" "SELECT r.* FROM kv_report.span('2023-06-15') p, kv_report.payments(p.from_ts, p.to_ts) r"
report "payments, monthly (2023-06)" "SELECT r.* FROM kv_report.span('2023-06') p, kv_report.payments(p.from_ts, p.to_ts) r"
report "alarms (loaded above sold)" "SELECT * FROM kv_report.loaded_above_sold()"
report "daily, a pushed day (2023-12-31)" "SELECT * FROM kv_report.daily('2023-12-31')"
# The same with JIT compilation off for the whole session: before
# db/central/017 the reports JIT-compiled an empty sales query at 10 million
# sales (2 to 3 s for the month's days); since 017 they run without JIT
# themselves, and this shows a server-wide setting adds nothing
# (docs/multi-office.md, "Central reports at 10 million sales").
echo "again with jit = off:"
export PGOPTIONS="-c jit=off"
first_run=first
report "daily (2023-06-15)" "SELECT * FROM kv_report.daily('2023-06-15')"
report "monthly (2023-06)" "SELECT * FROM kv_report.monthly('2023-06-01')"
report "month's days (2023-06)" "SELECT * FROM kv_report.month_days('2023-06-01')"
report "payments, daily (2023-06-15)" "SELECT r.* FROM kv_report.span('2023-06-15') p, kv_report.payments(p.from_ts, p.to_ts) r"
report "payments, monthly (2023-06)" "SELECT r.* FROM kv_report.span('2023-06') p, kv_report.payments(p.from_ts, p.to_ts) r"
unset PGOPTIONS
echo "the data directory: $KV_PG_DIR/data"
