-- 007-reports.sql - central reports across offices: one day, one month, by
-- office and station; one customer's history at every office; a station's
-- audit chain checked from its first row.
--
-- Schema kv_report, usable by head office only (members of
-- kv_central_admin, and superusers): stations have no USAGE on it and no
-- EXECUTE on its functions.  The functions run with the caller's rights
-- (SECURITY INVOKER), so they read exactly what the caller may read: head
-- office reads every station's rows through the admin policy of
-- 003-stations.sql.  tools/central-report.sh prints them.
--
-- A sale counts by its latest state (the sale_state with the highest id,
-- the rule of 004-merge.sql): completed or cancelling is sold, cancelled is
-- cancelled, anything else (pending, written, failed, no state pushed yet)
-- is open.  Its day is the station's created_at (Unix seconds) in the time
-- zone given (default UTC).  Amounts and energy as the stations store them
-- (minor units; 1/100 kWh).
SET LOCAL ROLE kv_central_owner;

CREATE SCHEMA kv_report AUTHORIZATION kv_central_owner;
REVOKE ALL ON SCHEMA kv_report FROM PUBLIC;

-- One row per sale created in [from_ts, to_ts) with its latest state.
CREATE FUNCTION kv_report.sales_in(from_ts bigint, to_ts bigint)
    RETURNS TABLE (station_no integer, local_id bigint, created_at bigint, meter_number integer,
                   card_serial bigint, customer_id bigint, amount bigint, energy bigint, state text)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.station_no, s.local_id, s.created_at, s.meter_number, s.card_serial, s.customer_id,
           s.amount, s.energy, coalesce(ls.state, 'none')
    FROM kv.sales s
    LEFT JOIN LATERAL (SELECT st.state FROM kv.sale_states st
                       WHERE st.station_no = s.station_no AND st.sale_id = s.local_id
                       ORDER BY st.local_id DESC LIMIT 1) ls ON true
    WHERE s.created_at >= from_ts AND s.created_at < to_ts
$$;

-- A row of the daily and monthly reports.
CREATE TYPE kv_report.totals AS (level text, office integer, station_no integer, station_name text,
                                 sold bigint, sold_amount bigint, sold_energy bigint,
                                 cancelled bigint, cancelled_amount bigint, open bigint);

-- Totals over [from_ts, to_ts): per station, per office (station NULL) and
-- for the utility (office and station NULL), offices and stations in order.
CREATE FUNCTION kv_report.period(from_ts bigint, to_ts bigint)
    RETURNS SETOF kv_report.totals
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN grouping(st.office) = 1 THEN 'total'
                WHEN grouping(x.station_no) = 1 THEN 'office' ELSE 'station' END,
           st.office, x.station_no, CASE WHEN grouping(x.station_no) = 0 THEN min(st.name) END,
           count(*) FILTER (WHERE x.state IN ('completed', 'cancelling')),
           coalesce(sum(x.amount) FILTER (WHERE x.state IN ('completed', 'cancelling')), 0)::bigint,
           coalesce(sum(x.energy) FILTER (WHERE x.state IN ('completed', 'cancelling')), 0)::bigint,
           count(*) FILTER (WHERE x.state = 'cancelled'),
           coalesce(sum(x.amount) FILTER (WHERE x.state = 'cancelled'), 0)::bigint,
           count(*) FILTER (WHERE x.state NOT IN ('completed', 'cancelling', 'cancelled'))
    FROM kv_report.sales_in(from_ts, to_ts) x
    JOIN kv.stations st ON st.station_no = x.station_no
    GROUP BY ROLLUP (st.office, x.station_no)
    ORDER BY st.office NULLS LAST, x.station_no NULLS LAST
$$;

-- The start of a day or month in a time zone, as Unix seconds.
CREATE FUNCTION kv_report.epoch(t timestamp, tz text) RETURNS bigint LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT extract(epoch FROM (t AT TIME ZONE tz))::bigint
$$;

-- One day (in the time zone tz).
CREATE FUNCTION kv_report.daily(day date, tz text DEFAULT 'UTC')
    RETURNS SETOF kv_report.totals
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM kv_report.period(kv_report.epoch(day::timestamp, tz),
                                   kv_report.epoch((day + 1)::timestamp, tz))
$$;

-- One month: the month holding `month` (any day of it).
CREATE FUNCTION kv_report.monthly(month date, tz text DEFAULT 'UTC')
    RETURNS SETOF kv_report.totals
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM kv_report.period(kv_report.epoch(date_trunc('month', month)::timestamp, tz),
                                   kv_report.epoch(date_trunc('month', month)::timestamp + interval '1 month', tz))
$$;

-- Every day of a month with its totals per office (station NULL) and for
-- the utility (office NULL): the month's trend at a glance.
CREATE FUNCTION kv_report.month_days(month date, tz text DEFAULT 'UTC')
    RETURNS TABLE (day date, office integer, sold bigint, sold_amount bigint, sold_energy bigint,
                   cancelled bigint, open bigint)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT (to_timestamp(x.created_at) AT TIME ZONE tz)::date AS d, st.office,
           count(*) FILTER (WHERE x.state IN ('completed', 'cancelling')),
           coalesce(sum(x.amount) FILTER (WHERE x.state IN ('completed', 'cancelling')), 0)::bigint,
           coalesce(sum(x.energy) FILTER (WHERE x.state IN ('completed', 'cancelling')), 0)::bigint,
           count(*) FILTER (WHERE x.state = 'cancelled'),
           count(*) FILTER (WHERE x.state NOT IN ('completed', 'cancelling', 'cancelled'))
    FROM kv_report.sales_in(kv_report.epoch(date_trunc('month', month)::timestamp, tz),
                            kv_report.epoch(date_trunc('month', month)::timestamp + interval '1 month', tz)) x
    JOIN kv.stations st ON st.station_no = x.station_no
    GROUP BY GROUPING SETS ((d, st.office), (d))
    ORDER BY 1, st.office NULLS LAST
$$;

-- One customer's sales at every office, oldest first: by account (the
-- customer's own field on the sale, or, for a sale pushed without it, the
-- customer its meter belongs to now).
CREATE FUNCTION kv_report.customer_history(account text)
    RETURNS TABLE (created_at bigint, office integer, station_no integer, sale bigint,
                   meter_number integer, card_serial bigint, amount bigint, energy bigint,
                   cumulative bigint, state text)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH c AS (SELECT id FROM kv.customers WHERE customers.account = customer_history.account)
    SELECT s.created_at, st.office, s.station_no, s.local_id, s.meter_number, s.card_serial,
           s.amount, s.energy, s.cumulative,
           coalesce((SELECT ss.state FROM kv.sale_states ss
                     WHERE ss.station_no = s.station_no AND ss.sale_id = s.local_id
                     ORDER BY ss.local_id DESC LIMIT 1), 'none')
    FROM kv.sales s
    JOIN kv.stations st ON st.station_no = s.station_no
    WHERE s.customer_id = (SELECT id FROM c)
       OR (s.customer_id IS NULL
           AND s.meter_number IN (SELECT m.number FROM kv.meters m WHERE m.customer_id = (SELECT id FROM c)))
    ORDER BY s.created_at, s.station_no, s.local_id
$$;

-- A station's audit chain as the centre holds it, verified from its first
-- row: ids without a gap from 1, each row linked to the one before
-- (prev_hash; row 1 to 32 zero bytes), each hash recomputed from the row
-- (the formula of kv.apply_record, the station's canonical row), and the
-- last row equal to the head the centre keeps for the station.  ok is
-- false with the first bad row and why; rows is how many were checked.
CREATE FUNCTION kv_report.audit_chain(station integer,
                                      OUT ok boolean, OUT rows bigint, OUT head text,
                                      OUT bad_row bigint, OUT reason text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
    want bigint := 1;
    st record;
BEGIN
    ok := true;
    rows := 0;
    SELECT audit_head_id, audit_head_hash INTO st FROM kv.stations s WHERE s.station_no = station;
    IF NOT FOUND THEN
        ok := false;
        reason := format('no station %s', station);
        RETURN;
    END IF;
    FOR r IN SELECT a.local_id, a.content, a.prev_hash, a.hash FROM kv.audit a
             WHERE a.station_no = station ORDER BY a.local_id LOOP
        IF r.local_id <> want THEN
            ok := false; bad_row := want; reason := format('row %s is missing', want);
            RETURN;
        END IF;
        IF r.prev_hash <> prev THEN
            ok := false; bad_row := r.local_id; reason := 'does not link to the row before';
            RETURN;
        END IF;
        IF r.hash <> sha256(prev || convert_to(format('%s|%s|%s|%s|%s|%s', r.local_id, r.content ->> 'at',
                                                      coalesce(r.content ->> 'user', '0'), r.content ->> 'action',
                                                      r.content ->> 'object', r.content ->> 'detail'), 'UTF8')) THEN
            ok := false; bad_row := r.local_id; reason := 'its hash does not match its content';
            RETURN;
        END IF;
        prev := r.hash;
        want := want + 1;
        rows := rows + 1;
    END LOOP;
    head := rows || '-' || encode(prev, 'hex');
    IF rows <> st.audit_head_id OR (rows > 0 AND prev <> st.audit_head_hash) THEN
        ok := false;
        reason := format('the chain ends at %s, the station''s head is %s-%s', head, st.audit_head_id,
                         encode(st.audit_head_hash, 'hex'));
    END IF;
END
$$;

RESET ROLE;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA kv_report FROM PUBLIC;
GRANT USAGE ON SCHEMA kv_report TO kv_central_admin;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA kv_report TO kv_central_admin;
