-- 015-summaries-per-batch.sql - head office's summaries (013) written once
-- per push batch, in the transaction that stores the batch
-- (docs/multi-office.md, "Summaries").
--
-- A push inserts one record a statement, so the statement triggers of 013
-- ran once per sale, state and payment: about a millisecond of server CPU
-- each, two and a half to three times the push without them.  Now the push
-- (kv_api.push) locks the station's row, reads what the sales its batch
-- names count for in the summaries (their latest state and payment type),
-- stores the batch with the triggers switched off for its transaction
-- only, and then counts the same sales again: the difference, one set-based
-- kv.summary_apply for the whole batch.  A replay, or a batch undone by a
-- conflict, reads the same twice and changes nothing.  The triggers stay
-- for every other writer (a bulk load at head office, a superuser's
-- INSERT): only the push's own transaction can switch them off
-- (kv.summary_deferral is written by the push alone; stations have no
-- right on it).  kv.summary_check() stays the test that nothing drifted.
SET LOCAL ROLE kv_central_owner;

-- The transactions in which a push applies the summaries itself, at its
-- end (a row lives only while the push runs).
CREATE TABLE kv.summary_deferral (
    xact xid8 PRIMARY KEY
);

-- Whether this transaction's push applies the summaries itself (the
-- triggers' WHEN: plain SQL, qualified, no SET, as kv.zone()).
CREATE FUNCTION kv.summary_deferred() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM kv.summary_deferral d WHERE d.xact = pg_catalog.pg_current_xact_id())
$$;

DROP TRIGGER sales_summary ON kv.sales;
DROP TRIGGER sale_states_summary ON kv.sale_states;
DROP TRIGGER payments_summary ON kv.payments;
CREATE TRIGGER sales_summary AFTER INSERT ON kv.sales REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT kv.summary_deferred()) EXECUTE FUNCTION kv.summary_changes();
CREATE TRIGGER sale_states_summary AFTER INSERT ON kv.sale_states REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT kv.summary_deferred()) EXECUTE FUNCTION kv.summary_changes();
CREATE TRIGGER payments_summary AFTER INSERT ON kv.payments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (NOT kv.summary_deferred()) EXECUTE FUNCTION kv.summary_changes();

-- The local ids of the sales a batch names: its sales, the sales of its
-- state changes, its payments (a payment's id is its sale's).  What is not
-- a well-formed id is left out here (the push refuses it with its reason).
CREATE FUNCTION kv.summary_batch_sales(batch jsonb) RETURNS bigint[] LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(array_agg(DISTINCT x.id), '{}')
    FROM (SELECT CASE WHEN v ~ '^[0-9]{1,18}$' THEN v::bigint END AS id
          FROM (SELECT CASE r ->> 'kind' WHEN 'sale_state' THEN r -> 'content' ->> 'sale' ELSE r ->> 'id' END AS v
                FROM jsonb_array_elements(CASE jsonb_typeof(batch) WHEN 'array' THEN batch ELSE '[]' END) r
                WHERE jsonb_typeof(r) = 'object' AND r ->> 'kind' IN ('sale', 'sale_state', 'payment')) y) x
    WHERE x.id IS NOT NULL
$$;

-- What the station's sales `ids` count for in the summaries now, each
-- with the sign sgn: its latest state ('none' before any) and payment
-- type ('unknown' before its record); a sale not stored counts for
-- nothing.  (As kv.summary_daily_of_records counts a sale.)
CREATE FUNCTION kv.summary_of_sales(me integer, ids bigint[], sgn integer) RETURNS SETOF kv.summary_change
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.station_no, s.local_id, sgn, coalesce(ls.state, 'none'), coalesce(p.payment, 'unknown')
    FROM kv.sales s
    LEFT JOIN kv.payments p ON p.station_no = s.station_no AND p.local_id = s.local_id
    LEFT JOIN LATERAL (SELECT o.state FROM kv.sale_states o
                       WHERE o.station_no = s.station_no AND o.sale_id = s.local_id
                       ORDER BY o.local_id DESC LIMIT 1) ls ON true
    WHERE s.station_no = me AND s.local_id = ANY (ids)
$$;

ALTER FUNCTION kv_api.push(jsonb) RENAME TO push_before_batch_summaries;
ALTER FUNCTION kv_api.push_before_batch_summaries(jsonb) SET SCHEMA kv;

-- Push: the batch as before, its summaries once at the end.  The
-- station's row is locked first (the push below locks it too), so that no
-- other push of this station's moves its sales between the two counts.
CREATE FUNCTION kv_api.push(batch jsonb) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    me integer := kv.caller_station();
    ids bigint[];
    before kv.summary_change[];
    ch kv.summary_change[];
    res jsonb;
BEGIN
    PERFORM 1 FROM kv.stations s WHERE s.station_no = me FOR UPDATE;
    ids := kv.summary_batch_sales(batch);
    before := ARRAY(SELECT x FROM kv.summary_of_sales(me, ids, -1) x);
    INSERT INTO kv.summary_deferral(xact) VALUES (pg_current_xact_id());
    res := kv.push_before_batch_summaries(batch);
    DELETE FROM kv.summary_deferral WHERE xact = pg_current_xact_id();
    -- Each sale leaves what it counted for and enters what it counts for
    -- now; a sale the batch did not change cancels out.
    ch := ARRAY(SELECT ROW(c.st, c.sale, sum(c.sgn)::integer, c.state, c.payment)::kv.summary_change
                FROM (SELECT * FROM unnest(before) UNION ALL SELECT * FROM kv.summary_of_sales(me, ids, 1)) c
                GROUP BY c.st, c.sale, c.state, c.payment
                HAVING sum(c.sgn) <> 0);
    PERFORM kv.summary_apply(ch) WHERE cardinality(ch) > 0;
    RETURN res;
END
$$;
RESET ROLE;

REVOKE ALL ON TABLE kv.summary_deferral FROM PUBLIC;
REVOKE ALL ON FUNCTION kv.summary_deferred(), kv.summary_batch_sales(jsonb),
    kv.summary_of_sales(integer, bigint[], integer), kv_api.push(jsonb),
    kv.push_before_batch_summaries(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION kv.push_before_batch_summaries(jsonb) FROM kv_station;
GRANT EXECUTE ON FUNCTION kv_api.push(jsonb) TO kv_station;
-- Head office's own inserts (a bulk load by an admin) go through the
-- triggers, whose WHEN reads the table.
GRANT SELECT ON kv.summary_deferral TO kv_central_admin;
GRANT EXECUTE ON FUNCTION kv.summary_deferred() TO kv_central_admin;
