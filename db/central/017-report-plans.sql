-- 017-report-plans.sql - head office's reports of whole days read no sales
-- (docs/multi-office.md, "Central reports at 10 million sales").
--
-- kv_report.summary_in (013) takes whole days from kv.sales_daily and the
-- partial hours at either end from kv_report.sales_in.  For a report of
-- whole days both of those ranges are empty, but the sales query was still
-- planned and, at 10 million sales, its estimated cost passed jit_above_cost:
-- each call compiled a plan that found no row (25-60 ms), twice per day, so
-- the month's days took 0.9-1.45 s warm.  Now an empty range is never
-- queried (a one-time filter above each scan), and the report functions run
-- without JIT: they read a summary or a few hours of sales, never enough for
-- compilation to pay.  Results are unchanged.
SET LOCAL ROLE kv_central_owner;

CREATE OR REPLACE FUNCTION kv_report.summary_in(from_ts bigint, to_ts bigint)
    RETURNS TABLE (station_no integer, payment text, n bigint, sold bigint, sold_amount bigint,
                   sold_energy bigint, cancelled bigint, cancelled_amount bigint)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET jit = off AS $$
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
          FROM (SELECT * FROM kv_report.sales_in(from_ts, a) WHERE from_ts < a
                UNION ALL
                SELECT * FROM kv_report.sales_in(b, to_ts) WHERE b < to_ts) x
          LEFT JOIN kv.payments p ON p.station_no = x.station_no AND p.local_id = x.local_id) y
    GROUP BY 1, 2;
END
$$;

ALTER FUNCTION kv_report.sales_in(bigint, bigint) SET jit = off;
ALTER FUNCTION kv_report.period(bigint, bigint) SET jit = off;
ALTER FUNCTION kv_report.payments(bigint, bigint) SET jit = off;
ALTER FUNCTION kv_report.month_days(date, text) SET jit = off;

RESET ROLE;
