-- 013-summaries.sql - head office's summaries, kept in the same transaction
-- as the records they sum (docs/multi-office.md, "Summaries", "The month's
-- blocks across offices", "Overpaid debt paid back"):
--
--   kv.sales_daily   per station, day (in the utility's report zone) and
--                    payment type: sales, sold (completed or cancelling),
--                    cancelled, their amounts and energy.  The daily,
--                    monthly and payment reports read it instead of every
--                    sale and its latest state.
--   kv.meter_month   per meter, month (in the same zone) and station: the
--                    energy bought with completed sales and how many paid
--                    the month's fixed charge.  Stations pull the other
--                    stations' rows and price the next sale's blocks on the
--                    month's total across offices.
--
-- Both are written only by the triggers below, which fire on the inserts
-- of kv.sales, kv.sale_states and kv.payments (whoever makes them: the
-- push, or a bulk load), set-based (statement triggers with transition
-- tables).  A sale counts by its latest state, as in 007; a state change
-- moves it from one column to another, a payment record that comes after
-- its sale moves it from 'unknown' to its type.  No cache that can drift:
-- kv.summary_check() recomputes both from the records and lists every
-- difference (the tests run it); kv.summary_rebuild() recomputes them (a
-- change of the report zone, kv.set_report_zone, runs it).
SET LOCAL ROLE kv_central_owner;

-- A sale state's meter is looked up only for the highest cancellation
-- sequence (kv.merge_meter): index the cancellations alone, not every
-- state (about 25 bytes a sale less).
DROP INDEX kv.sale_states_meter;
CREATE INDEX sale_states_cancel ON kv.sale_states(meter_number, cancel_seq) WHERE cancel_seq IS NOT NULL;

-- The utility's time zone for days and months (one row).
CREATE TABLE kv.report_zone (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    zone text NOT NULL DEFAULT 'UTC'
);
INSERT INTO kv.report_zone DEFAULT VALUES;
CREATE TRIGGER report_zone_no_delete BEFORE DELETE ON kv.report_zone
    FOR EACH ROW EXECUTE FUNCTION kv.refuse_delete();

-- (Plain SQL without SET, everything qualified: inlined where it is called
-- for every row.)
CREATE FUNCTION kv.zone() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT r.zone FROM kv.report_zone r
$$;

-- The day (in zone z) of a time in Unix seconds.
CREATE FUNCTION kv.day_of(t bigint, z text) RETURNS date LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.date(pg_catalog.timezone(z, pg_catalog.to_timestamp(t::pg_catalog.float8)))
$$;

-- (No foreign keys: every row comes from a sale, which has them.)
CREATE TABLE kv.sales_daily (
    station_no integer NOT NULL,
    day date NOT NULL,
    payment text NOT NULL,                -- or 'unknown': the payment record has not come
    n bigint NOT NULL DEFAULT 0,          -- every sale (open = n - sold - cancelled)
    sold bigint NOT NULL DEFAULT 0,
    sold_amount bigint NOT NULL DEFAULT 0,
    sold_energy bigint NOT NULL DEFAULT 0,
    cancelled bigint NOT NULL DEFAULT 0,
    cancelled_amount bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, station_no, payment)     -- by day first: the reports ask for days
);

CREATE TABLE kv.meter_month (
    meter_number integer NOT NULL,
    month date NOT NULL,                  -- its first day
    station_no integer NOT NULL,
    energy bigint NOT NULL DEFAULT 0,     -- bought (free energy excluded), completed sales
    fixed_paid bigint NOT NULL DEFAULT 0, -- completed sales that carried a fixed charge
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (meter_number, month, station_no)
);
CREATE INDEX meter_month_changed ON kv.meter_month(changed_xid);
CREATE TRIGGER meter_month_touch BEFORE UPDATE ON kv.meter_month FOR EACH ROW EXECUTE FUNCTION kv.touch();

-- A station's session (the push) reaches only its own rows, as everywhere.
ALTER TABLE kv.sales_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE kv.sales_daily FORCE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON kv.sales_daily USING
    (station_no = (SELECT kv.caller_station())
     OR (SELECT pg_catalog.pg_has_role(session_user, 'kv_central_admin', 'MEMBER')));
ALTER TABLE kv.meter_month ENABLE ROW LEVEL SECURITY;
ALTER TABLE kv.meter_month FORCE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON kv.meter_month USING
    (station_no = (SELECT kv.caller_station())
     OR (SELECT pg_catalog.pg_has_role(session_user, 'kv_central_admin', 'MEMBER')));

-- A change: a sale (station, local id) leaving (sgn -1) or entering (+1)
-- the summaries with a state and a payment type.
CREATE TYPE kv.summary_change AS (st integer, sale bigint, sgn integer, state text, payment text);

-- Apply changes.  The sale's day, amount and energy come from kv.sales.
-- (PL/pgSQL with generic plans: its statements are planned once a
-- session, not at every record of a push.  No SET search_path, here and in
-- the trigger below: it costs more than the rest at every record; every
-- name is qualified or built in (pg_catalog is searched first), and the
-- callers are the push, whose path is pg_catalog, pg_temp, and head
-- office's superuser; stations cannot create temporary objects.)
CREATE FUNCTION kv.summary_apply(ch kv.summary_change[])
    RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    INSERT INTO kv.sales_daily AS d (station_no, day, payment, n, sold, sold_amount, sold_energy,
                                     cancelled, cancelled_amount)
    SELECT c.st, kv.day_of(s.created_at, z.zone), c.payment, sum(c.sgn),
           coalesce(sum(c.sgn) FILTER (WHERE c.state IN ('completed', 'cancelling')), 0),
           coalesce(sum(c.sgn * s.amount) FILTER (WHERE c.state IN ('completed', 'cancelling')), 0),
           coalesce(sum(c.sgn * s.energy) FILTER (WHERE c.state IN ('completed', 'cancelling')), 0),
           coalesce(sum(c.sgn) FILTER (WHERE c.state = 'cancelled'), 0),
           coalesce(sum(c.sgn * s.amount) FILTER (WHERE c.state = 'cancelled'), 0)
    FROM unnest(ch) c
    JOIN kv.sales s ON s.station_no = c.st AND s.local_id = c.sale
    CROSS JOIN kv.report_zone z
    GROUP BY 1, 2, 3
    ON CONFLICT (station_no, day, payment) DO UPDATE SET
        n = d.n + EXCLUDED.n, sold = d.sold + EXCLUDED.sold, sold_amount = d.sold_amount + EXCLUDED.sold_amount,
        sold_energy = d.sold_energy + EXCLUDED.sold_energy, cancelled = d.cancelled + EXCLUDED.cancelled,
        cancelled_amount = d.cancelled_amount + EXCLUDED.cancelled_amount;

    -- A row left with nothing (its sales moved from 'unknown' to their
    -- payment type) goes.
    DELETE FROM kv.sales_daily d
    USING (SELECT DISTINCT c.st, kv.day_of(s.created_at, z.zone) AS day, c.payment
           FROM unnest(ch) c JOIN kv.sales s ON s.station_no = c.st AND s.local_id = c.sale
           CROSS JOIN kv.report_zone z WHERE c.sgn < 0) x
    WHERE d.day = x.day AND d.station_no = x.st AND d.payment = x.payment AND d.n = 0;

    INSERT INTO kv.meter_month AS m (meter_number, month, station_no, energy, fixed_paid)
    SELECT s.meter_number, date_trunc('month', kv.day_of(s.created_at, z.zone))::date, c.st,
           sum(c.sgn * (s.energy - s.free_energy)),
           coalesce(sum(c.sgn) FILTER (WHERE (s.content ->> 'fixed_charge')::numeric > 0), 0)
    FROM unnest(ch) c
    JOIN kv.sales s ON s.station_no = c.st AND s.local_id = c.sale
    CROSS JOIN kv.report_zone z
    WHERE c.state = 'completed'
    GROUP BY 1, 2, 3
    HAVING sum(c.sgn * (s.energy - s.free_energy)) <> 0
        OR coalesce(sum(c.sgn) FILTER (WHERE (s.content ->> 'fixed_charge')::numeric > 0), 0) <> 0
    ON CONFLICT (meter_number, month, station_no) DO UPDATE SET
        energy = m.energy + EXCLUDED.energy, fixed_paid = m.fixed_paid + EXCLUDED.fixed_paid;
END
$$;

-- The trigger of the three tables (new_rows: the statement's new rows).
--   sales        each new sale enters open ('none'), with its payment type
--                if its record came first;
--   sale_states  each sale they touch leaves its latest state before them
--                (the highest id that is not new; 'none') and enters the
--                latest after;
--   payments     a sale already here moves from 'unknown' to the type.
CREATE FUNCTION kv.summary_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ch kv.summary_change[];
BEGIN
    IF TG_TABLE_NAME = 'sales' THEN
        ch := ARRAY(SELECT ROW(n.station_no, n.local_id, 1, 'none', coalesce(p.payment, 'unknown'))::kv.summary_change
                    FROM new_rows n LEFT JOIN kv.payments p ON p.station_no = n.station_no AND p.local_id = n.local_id);
    ELSIF TG_TABLE_NAME = 'sale_states' THEN
        ch := ARRAY(
            SELECT ROW(l.station_no, l.sale_id, v.sgn, coalesce(v.state, 'none'),
                       coalesce(p.payment, 'unknown'))::kv.summary_change
            FROM (SELECT s.station_no, s.sale_id, max(s.local_id) FILTER (WHERE n.local_id IS NULL) AS old_id,
                         max(s.local_id) AS new_id
                  FROM kv.sale_states s
                  JOIN (SELECT DISTINCT station_no, sale_id FROM new_rows) a
                    ON a.station_no = s.station_no AND a.sale_id = s.sale_id
                  LEFT JOIN new_rows n ON n.station_no = s.station_no AND n.local_id = s.local_id
                  GROUP BY 1, 2) l
            CROSS JOIN LATERAL (VALUES (-1, (SELECT o.state FROM kv.sale_states o
                                             WHERE o.station_no = l.station_no AND o.local_id = l.old_id)),
                                       (1, (SELECT o.state FROM kv.sale_states o
                                            WHERE o.station_no = l.station_no AND o.local_id = l.new_id))) v(sgn, state)
            LEFT JOIN kv.payments p ON p.station_no = l.station_no AND p.local_id = l.sale_id
            WHERE l.old_id IS DISTINCT FROM l.new_id);
    ELSE
        ch := ARRAY(
            SELECT ROW(n.station_no, n.local_id, v.sgn, coalesce(ls.state, 'none'), v.payment)::kv.summary_change
            FROM new_rows n
            JOIN kv.sales s ON s.station_no = n.station_no AND s.local_id = n.local_id
            LEFT JOIN LATERAL (SELECT o.state FROM kv.sale_states o
                               WHERE o.station_no = n.station_no AND o.sale_id = n.local_id
                               ORDER BY o.local_id DESC LIMIT 1) ls ON true
            CROSS JOIN LATERAL (VALUES (-1, 'unknown'), (1, n.payment)) v(sgn, payment));
    END IF;
    IF cardinality(ch) > 0 THEN
        PERFORM kv.summary_apply(ch);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER sales_summary AFTER INSERT ON kv.sales REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kv.summary_changes();
CREATE TRIGGER sale_states_summary AFTER INSERT ON kv.sale_states REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kv.summary_changes();
CREATE TRIGGER payments_summary AFTER INSERT ON kv.payments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kv.summary_changes();

-- Both summaries as the records give them, recomputed from scratch.
CREATE FUNCTION kv.summary_daily_of_records()
    RETURNS TABLE (station_no integer, day date, payment text, n bigint, sold bigint, sold_amount bigint,
                   sold_energy bigint, cancelled bigint, cancelled_amount bigint)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.station_no, kv.day_of(s.created_at, kv.zone()), coalesce(p.payment, 'unknown'), count(*),
           count(*) FILTER (WHERE ls.state IN ('completed', 'cancelling')),
           coalesce(sum(s.amount) FILTER (WHERE ls.state IN ('completed', 'cancelling')), 0)::bigint,
           coalesce(sum(s.energy) FILTER (WHERE ls.state IN ('completed', 'cancelling')), 0)::bigint,
           count(*) FILTER (WHERE ls.state = 'cancelled'),
           coalesce(sum(s.amount) FILTER (WHERE ls.state = 'cancelled'), 0)::bigint
    FROM kv.sales s
    LEFT JOIN kv.payments p ON p.station_no = s.station_no AND p.local_id = s.local_id
    LEFT JOIN LATERAL (SELECT o.state FROM kv.sale_states o
                       WHERE o.station_no = s.station_no AND o.sale_id = s.local_id
                       ORDER BY o.local_id DESC LIMIT 1) ls ON true
    GROUP BY 1, 2, 3
$$;

CREATE FUNCTION kv.summary_month_of_records()
    RETURNS TABLE (meter_number integer, month date, station_no integer, energy bigint, fixed_paid bigint)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.meter_number, date_trunc('month', kv.day_of(s.created_at, kv.zone()))::date, s.station_no,
           sum(s.energy - s.free_energy)::bigint,
           count(*) FILTER (WHERE (s.content ->> 'fixed_charge')::numeric > 0)
    FROM kv.sales s
    JOIN LATERAL (SELECT o.state FROM kv.sale_states o
                  WHERE o.station_no = s.station_no AND o.sale_id = s.local_id
                  ORDER BY o.local_id DESC LIMIT 1) ls ON ls.state = 'completed'
    GROUP BY 1, 2, 3
$$;

-- Every difference between the summaries kept and the records: empty when
-- they agree.  (Rows whose counts are all 0 are the same as no row.)
CREATE FUNCTION kv.summary_check()
    RETURNS TABLE (summary text, key text, kept jsonb, recomputed jsonb)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH k AS (SELECT d.station_no, d.day, d.payment, d.n, d.sold, d.sold_amount, d.sold_energy, d.cancelled,
                      d.cancelled_amount FROM kv.sales_daily d
               WHERE (d.n, d.sold, d.sold_amount, d.sold_energy, d.cancelled, d.cancelled_amount) <> (0, 0, 0, 0, 0, 0)),
         r AS (SELECT * FROM kv.summary_daily_of_records()),
         km AS (SELECT m.meter_number, m.month, m.station_no, m.energy, m.fixed_paid FROM kv.meter_month m
                WHERE (m.energy, m.fixed_paid) <> (0, 0)),
         rm AS (SELECT * FROM kv.summary_month_of_records())
    SELECT 'sales_daily', format('station %s day %s payment %s', coalesce(k.station_no, r.station_no),
                                 coalesce(k.day, r.day), coalesce(k.payment, r.payment)),
           to_jsonb(k), to_jsonb(r)
    FROM k FULL JOIN r ON (k.station_no, k.day, k.payment) = (r.station_no, r.day, r.payment)
    WHERE k IS DISTINCT FROM r
    UNION ALL
    SELECT 'meter_month', format('meter %s month %s station %s', coalesce(km.meter_number, rm.meter_number),
                                 coalesce(km.month, rm.month), coalesce(km.station_no, rm.station_no)),
           to_jsonb(km), to_jsonb(rm)
    FROM km FULL JOIN rm ON (km.meter_number, km.month, km.station_no) = (rm.meter_number, rm.month, rm.station_no)
    WHERE km IS DISTINCT FROM rm
$$;

-- Recompute both summaries from the records (the meter_month rows that
-- change are marked changed, so the stations pull them again).
CREATE FUNCTION kv.summary_rebuild() RETURNS bigint LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    LOCK TABLE kv.sales, kv.sale_states, kv.payments IN SHARE MODE;
    DELETE FROM kv.sales_daily;
    INSERT INTO kv.sales_daily SELECT * FROM kv.summary_daily_of_records();
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE kv.meter_month SET energy = 0, fixed_paid = 0 WHERE (energy, fixed_paid) <> (0, 0);
    INSERT INTO kv.meter_month AS m (meter_number, month, station_no, energy, fixed_paid)
    SELECT * FROM kv.summary_month_of_records()
    ON CONFLICT (meter_number, month, station_no) DO UPDATE SET energy = EXCLUDED.energy,
        fixed_paid = EXCLUDED.fixed_paid;
    RETURN n;
END
$$;

-- Head office changes the utility's zone: the summaries follow it.
CREATE FUNCTION kv.set_report_zone(z text) RETURNS bigint LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = z) THEN
        RAISE EXCEPTION 'unknown time zone "%"', z USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE kv.report_zone SET zone = z;
    RETURN kv.summary_rebuild();
END
$$;

-- What the existing records sum to.
SELECT kv.summary_rebuild();

-- ---- the reports, from the summaries ----

-- Totals per station and payment type over [from_ts, to_ts): the whole days
-- (of the report zone) inside it from kv.sales_daily, the rest from the
-- sales.  A day or month in the report zone reads the summary alone.
CREATE FUNCTION kv_report.summary_in(from_ts bigint, to_ts bigint)
    RETURNS TABLE (station_no integer, payment text, n bigint, sold bigint, sold_amount bigint,
                   sold_energy bigint, cancelled bigint, cancelled_amount bigint)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    z text := kv.zone();
    -- (Days between the years 1 and 10000: an interval open at either end,
    -- 0 to 2^63 - 1, takes the rest from the sales.)
    d1 date := kv.day_of(greatest(from_ts, -62135596800), z);
    d2 date := kv.day_of(least(to_ts, 253402300800), z);
    a bigint;
    b bigint;
BEGIN
    IF kv_report.epoch(d1::timestamp, z) < from_ts THEN
        d1 := d1 + 1;
    END IF;
    a := kv_report.epoch(d1::timestamp, z);
    b := kv_report.epoch(d2::timestamp, z);
    IF d1 >= d2 OR a < from_ts OR b > to_ts THEN
        a := to_ts;   -- no whole day: every sale from the records
        b := to_ts;
    END IF;
    RETURN QUERY
    SELECT y.station_no, y.payment, sum(y.n)::bigint, sum(y.sold)::bigint, sum(y.sold_amount)::bigint,
           sum(y.sold_energy)::bigint, sum(y.cancelled)::bigint, sum(y.cancelled_amount)::bigint
    FROM (SELECT d.station_no, d.payment, d.n, d.sold, d.sold_amount, d.sold_energy, d.cancelled,
                 d.cancelled_amount
          FROM kv.sales_daily d WHERE a < b AND d.day >= d1 AND d.day < d2
          UNION ALL
          SELECT x.station_no, coalesce(p.payment, 'unknown'), 1,
                 (x.state IN ('completed', 'cancelling'))::int,
                 CASE WHEN x.state IN ('completed', 'cancelling') THEN x.amount ELSE 0 END,
                 CASE WHEN x.state IN ('completed', 'cancelling') THEN x.energy ELSE 0 END,
                 (x.state = 'cancelled')::int, CASE WHEN x.state = 'cancelled' THEN x.amount ELSE 0 END
          FROM (SELECT * FROM kv_report.sales_in(from_ts, a)
                UNION ALL
                SELECT * FROM kv_report.sales_in(b, to_ts)) x
          LEFT JOIN kv.payments p ON p.station_no = x.station_no AND p.local_id = x.local_id) y
    GROUP BY 1, 2;
END
$$;

CREATE OR REPLACE FUNCTION kv_report.period(from_ts bigint, to_ts bigint)
    RETURNS SETOF kv_report.totals
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN grouping(st.office) = 1 THEN 'total'
                WHEN grouping(x.station_no) = 1 THEN 'office' ELSE 'station' END,
           st.office, x.station_no, CASE WHEN grouping(x.station_no) = 0 THEN min(st.name) END,
           coalesce(sum(x.sold), 0)::bigint, coalesce(sum(x.sold_amount), 0)::bigint,
           coalesce(sum(x.sold_energy), 0)::bigint, coalesce(sum(x.cancelled), 0)::bigint,
           coalesce(sum(x.cancelled_amount), 0)::bigint, coalesce(sum(x.n - x.sold - x.cancelled), 0)::bigint
    FROM kv_report.summary_in(from_ts, to_ts) x
    JOIN kv.stations st ON st.station_no = x.station_no
    GROUP BY ROLLUP (st.office, x.station_no)
    HAVING sum(x.n) > 0 OR grouping(st.office) = 1
    ORDER BY st.office NULLS LAST, x.station_no NULLS LAST
$$;

CREATE OR REPLACE FUNCTION kv_report.payments(from_ts bigint, to_ts bigint)
    RETURNS TABLE (level text, office integer, station_no integer, payment text, sold bigint,
                   sold_amount bigint)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN grouping(st.office) = 1 THEN 'total'
                WHEN grouping(x.station_no) = 1 THEN 'office' ELSE 'station' END,
           st.office, x.station_no, x.payment, sum(x.sold)::bigint, sum(x.sold_amount)::bigint
    FROM kv_report.summary_in(from_ts, to_ts) x
    JOIN kv.stations st ON st.station_no = x.station_no
    GROUP BY x.payment, ROLLUP (st.office, x.station_no)
    HAVING sum(x.sold) > 0
    ORDER BY st.office NULLS LAST, x.station_no NULLS LAST, 4
$$;

-- Every day of the month: each day's totals as kv_report.period gives them.
CREATE OR REPLACE FUNCTION kv_report.month_days(month date, tz text DEFAULT 'UTC')
    RETURNS TABLE (day date, office integer, sold bigint, sold_amount bigint, sold_energy bigint,
                   cancelled bigint, open bigint)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT g.d::date, st.office, sum(x.sold)::bigint, sum(x.sold_amount)::bigint, sum(x.sold_energy)::bigint,
           sum(x.cancelled)::bigint, sum(x.n - x.sold - x.cancelled)::bigint
    FROM generate_series(date_trunc('month', month), date_trunc('month', month) + interval '1 month' - interval '1 day',
                         interval '1 day') g(d)
    CROSS JOIN LATERAL kv_report.summary_in(kv_report.epoch(g.d::timestamp, tz),
                                            kv_report.epoch(g.d::timestamp + interval '1 day', tz)) x
    JOIN kv.stations st ON st.station_no = x.station_no
    GROUP BY GROUPING SETS ((g.d, st.office), (g.d))
    HAVING sum(x.n) > 0
    ORDER BY 1, st.office NULLS LAST
$$;

RESET ROLE;
REVOKE ALL ON FUNCTION kv.zone(), kv.day_of(bigint, text), kv.summary_apply(kv.summary_change[]),
    kv.summary_changes(), kv.summary_daily_of_records(),
    kv.summary_month_of_records(), kv.summary_check(), kv.summary_rebuild(), kv.set_report_zone(text),
    kv_report.summary_in(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv_report.summary_in(bigint, bigint), kv.zone(), kv.day_of(bigint, text),
    kv.summary_check(), kv.summary_daily_of_records(), kv.summary_month_of_records() TO kv_central_admin;

-- ---- the month's blocks across offices ----
-- What the other stations sold a meter in the recent months (this one and
-- the one before, in the report zone), changed since the pull's cursor:
-- owned by kv_central_merger (a station's session sees only its own rows
-- of kv.meter_month).
CREATE FUNCTION kv.month_blocks(me integer, since xid8) RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('meter_number', m.meter_number,
                                                 'month', to_char(m.month, 'YYYYMM')::integer,
                                                 'station_no', m.station_no, 'energy', m.energy,
                                                 'fixed_paid', m.fixed_paid)
                              ORDER BY m.meter_number, m.month, m.station_no), '[]')
    FROM kv.meter_month m
    WHERE m.station_no <> me AND m.changed_xid >= since
      AND m.month >= (date_trunc('month', now() AT TIME ZONE kv.zone()) - interval '1 month')::date
$$;
ALTER FUNCTION kv.month_blocks(integer, xid8) OWNER TO kv_central_merger;
GRANT SELECT ON kv.meter_month, kv.report_zone TO kv_central_merger;
REVOKE ALL ON FUNCTION kv.month_blocks(integer, xid8) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv.month_blocks(integer, xid8) TO kv_central_owner;
GRANT EXECUTE ON FUNCTION kv.zone() TO kv_central_merger;

-- Pull: as before, and "month_blocks" (docs/multi-office.md, "The month's
-- blocks across offices").  The cursor is the one the pull before
-- checked: '' or a reset sends every recent month.
ALTER FUNCTION kv_api.pull(text) RENAME TO pull_before_blocks;
ALTER FUNCTION kv_api.pull_before_blocks(text) SET SCHEMA kv;
REVOKE ALL ON FUNCTION kv.pull_before_blocks(text) FROM kv_station;
SET LOCAL ROLE kv_central_owner;
CREATE FUNCTION kv_api.pull(since text DEFAULT NULL) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    res jsonb := kv.pull_before_blocks(since);
BEGIN
    RETURN res || jsonb_build_object('month_blocks', kv.month_blocks(kv.caller_station(),
        CASE WHEN coalesce(since, '') = '' OR (res ->> 'reset')::boolean THEN '0'::xid8 ELSE since::xid8 END));
END
$$;
RESET ROLE;
REVOKE ALL ON FUNCTION kv_api.pull(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv_api.pull(text) TO kv_station;

-- ---- an overpaid debt paid back ----
-- Recoveries made at two offices while neither knew of the other's can add
-- up beyond the debt: the balance stays 0 and the rest is debt_overpaid,
-- owed to the customer.  Until it is paid back it also offsets the next
-- debt the customer takes on (the balance is the sum of every movement).
-- Head office pays it back with kv.debt_pay_back: a 'paid-back' movement
-- of its own (who, when, why, how much: immutable), the merge brings the
-- overpayment down by it.  Never more than is overpaid (the customer's row
-- is locked first: two supervisors at once cannot both pay it).
ALTER TABLE kv.debt_central DROP CONSTRAINT debt_central_kind_check;
ALTER TABLE kv.debt_central ADD CONSTRAINT debt_central_kind_check
    CHECK (kind IN ('opening', 'adjusted', 'paid-back'));
ALTER TABLE kv.debt_central ADD CONSTRAINT debt_central_paid_back_check
    CHECK (kind <> 'paid-back' OR amount > 0);

SET LOCAL ROLE kv_central_owner;
CREATE FUNCTION kv.debt_pay_back(customer bigint, amount bigint, reason text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    owed bigint;
BEGIN
    SELECT c.debt_overpaid INTO owed FROM kv.customers c WHERE c.id = customer FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'kv.debt_pay_back: no customer %', customer USING ERRCODE = 'no_data_found';
    END IF;
    IF amount IS NULL OR amount <= 0 OR amount > owed THEN
        RAISE EXCEPTION 'kv.debt_pay_back: customer % is owed % (overpaid debt); % cannot be paid back',
            customer, owed, coalesce(amount::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(length(trim(reason)), 0) = 0 THEN
        RAISE EXCEPTION 'kv.debt_pay_back: give the reason (how and by whom it was paid)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO kv.debt_central(customer_id, kind, amount, reason, by_role)
    VALUES (customer, 'paid-back', amount, reason, session_user);
    -- The balance and the overpayment from every movement, this one too.
    PERFORM kv.merge_debt(customer);
    SELECT c.debt_overpaid INTO owed FROM kv.customers c WHERE c.id = customer;
    RETURN owed;
END
$$;

-- The overpayments paid back, with who paid them and why.
CREATE FUNCTION kv_report.debt_paid_back()
    RETURNS TABLE (account text, name text, amount bigint, at timestamptz, by_role text, reason text,
                   still_overpaid bigint)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.account, c.name, d.amount, d.at, d.by_role, d.reason, c.debt_overpaid
    FROM kv.debt_central d JOIN kv.customers c ON c.id = d.customer_id
    WHERE d.kind = 'paid-back'
    ORDER BY d.at, d.id
$$;
RESET ROLE;
REVOKE ALL ON FUNCTION kv.debt_pay_back(bigint, bigint, text), kv_report.debt_paid_back() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv_report.debt_paid_back() TO kv_central_admin;

-- The free-energy trigger of 010 runs only for a sale that carries free
-- energy (without the field it changes nothing): a push or a bulk load of
-- ordinary sales skips it.
DROP TRIGGER sales_free_energy ON kv.sales;
CREATE TRIGGER sales_free_energy BEFORE INSERT ON kv.sales
    FOR EACH ROW WHEN (NEW.content ? 'free_energy') EXECUTE FUNCTION kv.sale_free_energy();

