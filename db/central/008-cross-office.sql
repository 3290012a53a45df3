-- 008-cross-office.sql - what head office checks and settles across offices
-- (docs/multi-office.md, "Across offices"):
--
--   loaded above sold  a meter whose readback (from any station) shows more
--                      credit loaded than every station sold it (completed,
--                      not cancelled): recorded in kv.loaded_above_sold as the
--                      merge finds it, cleared when later pushes cover it.  A
--                      station's own check uses its copy of the other offices'
--                      sales (meter_remote), which a cashier can edit; this
--                      one uses the pushed records only.
--   more records       each sale's payment (type and reference), debt
--                      movements, refunds with their parts, the credit
--                      clear-credit cards emptied: pushed like the others
--                      (same key and content: nothing; other content: a
--                      conflict that stops the station).
--   debt settlement    a customer's debt is head office's own movements
--                      (kv.debt_central) plus every station's pushed
--                      movements (settlements excluded), written to
--                      kv.customers.debt by the merge and pulled down; the
--                      station books the difference as a visible settling
--                      adjustment.
--
-- The functions of 004 and 005 are kept and wrapped (renamed, then called
-- by the new ones of the same name), so nothing of them is rewritten.
SET LOCAL ROLE kv_central_owner;

-- ---- the new record tables ----

-- Each table: the key (station_no, local_id: the record's id in the
-- station's ledger), the content as pushed, the columns read from it;
-- row-level security forced and the rows immutable, as in 003.
--   payments        a sale's payment (local_id: the sale's id): type and the
--                   provider's reference (NULL for cash)
--   debt_movements  a station's debt movement; settlement: the station's own
--                   booking of head office's balance, not counted again
--   refunds         a refund; the sales it paid back come inside its content
--                   and are stored in refund_parts with it
--   credit_clears   credit a clear-credit card emptied, as its readback proved
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('payments', 'payment text NOT NULL CHECK (payment IN (''cash'', ''mobile-money'', ''bank-card'', '
                     '''bank-transfer'')), reference text'),
        ('debt_movements', 'customer_id bigint NOT NULL, kind text NOT NULL CHECK (kind IN (''opening'', '
                           '''added'', ''recovered'', ''restored'', ''adjusted'', ''written-off'')), '
                           'amount bigint NOT NULL CHECK (amount <> 0), sale_id bigint, at bigint NOT NULL, '
                           'settlement boolean NOT NULL'),
        ('refunds', 'meter_number integer NOT NULL, shift_id bigint NOT NULL, kind text NOT NULL, '
                    'energy bigint NOT NULL CHECK (energy > 0), amount bigint NOT NULL CHECK (amount >= 0), '
                    'created_at bigint NOT NULL'),
        ('credit_clears', 'meter_number integer NOT NULL, card_serial bigint NOT NULL, '
                          'cleared_total bigint NOT NULL, amount bigint NOT NULL CHECK (amount > 0), '
                          'recorded_at bigint NOT NULL')) v(name, cols) LOOP
        EXECUTE format('CREATE TABLE kv.%I (station_no integer NOT NULL REFERENCES kv.stations(station_no), '
                       'local_id bigint NOT NULL CHECK (local_id > 0), content jsonb NOT NULL, %s, '
                       'PRIMARY KEY (station_no, local_id))', t.name, t.cols);
    END LOOP;
END
$$;
CREATE INDEX debt_movements_customer ON kv.debt_movements(customer_id) WHERE NOT settlement;
CREATE INDEX refunds_created ON kv.refunds(created_at);
CREATE TABLE kv.refund_parts (
    station_no integer NOT NULL,
    refund_id bigint NOT NULL,
    sale_id bigint NOT NULL,
    energy bigint NOT NULL CHECK (energy > 0),
    amount bigint NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (station_no, refund_id, sale_id),
    FOREIGN KEY (station_no, refund_id) REFERENCES kv.refunds(station_no, local_id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['payments', 'debt_movements', 'refunds', 'refund_parts', 'credit_clears'] LOOP
        EXECUTE format('ALTER TABLE kv.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE kv.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY own_rows ON kv.%I USING '
                       '(station_no = (SELECT kv.caller_station()) '
                       ' OR (SELECT pg_catalog.pg_has_role(session_user, ''kv_central_admin'', ''MEMBER'')))', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON kv.%I '
                       'FOR EACH ROW EXECUTE FUNCTION kv.refuse_change()', t || '_immutable', t);
    END LOOP;
END
$$;

-- ---- records: the new kinds, the others as before ----

ALTER FUNCTION kv.apply_record(integer, jsonb, bigint, bytea) RENAME TO apply_record_base;

CREATE FUNCTION kv.apply_record(me integer, rec jsonb, INOUT head_id bigint, INOUT head_hash bytea,
                                OUT result text, OUT stored jsonb, OUT reason text,
                                OUT meter integer, OUT card bigint)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    kind text := CASE WHEN jsonb_typeof(rec) = 'object' THEN rec ->> 'kind' END;
    tbl text;
    lid bigint;
    c jsonb;
    what text;
    b record;
    p jsonb;
    ref text;
BEGIN
    tbl := CASE kind WHEN 'payment' THEN 'payments' WHEN 'debt_movement' THEN 'debt_movements'
                     WHEN 'refund' THEN 'refunds' WHEN 'credit_clear' THEN 'credit_clears' END;
    IF tbl IS NULL THEN
        IF kind IS NOT NULL AND kind NOT IN ('sale', 'sale_state', 'card', 'card_status', 'readback',
                                             'engineering_token', 'shift', 'audit') THEN
            RAISE EXCEPTION 'push: unknown record kind "%" (a station pushes only sale, sale_state, card, card_status, readback, engineering_token, shift, audit, payment, debt_movement, refund and credit_clear records)',
                kind USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- What the cross-office check reads of a readback must be an integer.
        IF kind = 'readback' AND jsonb_typeof(rec -> 'content') = 'object' THEN
            PERFORM kv.field_int(rec -> 'content', 'cumulative_loaded', format('push: readback %s', rec -> 'id'), false);
        END IF;
        SELECT * INTO b FROM kv.apply_record_base(me, rec, head_id, head_hash);
        head_id := b.head_id;
        head_hash := b.head_hash;
        result := b.result;
        stored := b.stored;
        reason := b.reason;
        meter := b.meter;
        card := b.card;
        RETURN;
    END IF;

    -- The key, checked as for the other kinds: the caller's station, an id
    -- above 0, an object.
    lid := kv.field_int(rec, 'id', 'push: ' || kind || ' record');
    c := rec -> 'content';
    what := format('push: %s %s', kind, lid);
    CASE
    WHEN kv.field_int(rec, 'station', what) IS DISTINCT FROM me THEN
        RAISE EXCEPTION 'push: station % may not push a record of station %', me, rec -> 'station'
            USING ERRCODE = 'insufficient_privilege';
    WHEN lid < 1 OR jsonb_typeof(c) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION '%: the id must be above 0 and the content a JSON object', what
            USING ERRCODE = 'invalid_parameter_value';
    ELSE
        NULL;
    END CASE;
    EXECUTE format('SELECT x.content FROM kv.%I x WHERE x.station_no = $1 AND x.local_id = $2', tbl)
        INTO stored USING me, lid;
    result := CASE WHEN stored IS NULL THEN 'new' WHEN stored = c THEN 'same' ELSE 'conflict' END;
    IF result <> 'new' THEN
        reason := CASE WHEN result = 'conflict' THEN format('%s %s was pushed before with other content', kind, lid) END;
        RETURN;
    END IF;

    CASE kind
    WHEN 'payment' THEN
        IF kv.field_text(c, 'payment', what) NOT IN ('cash', 'mobile-money', 'bank-card', 'bank-transfer') THEN
            RAISE EXCEPTION '%: unknown payment type "%"', what, c ->> 'payment'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF jsonb_typeof(c -> 'reference') NOT IN ('string', 'null') THEN
            RAISE EXCEPTION '%: field "reference" is not a string', what USING ERRCODE = 'invalid_parameter_value';
        END IF;
        ref := c ->> 'reference';
        INSERT INTO kv.payments(station_no, local_id, content, payment, reference)
        VALUES (me, lid, c, c ->> 'payment', ref);
    WHEN 'debt_movement' THEN
        INSERT INTO kv.debt_movements(station_no, local_id, content, customer_id, kind, amount, sale_id, at,
                                      settlement)
        VALUES (me, lid, c, kv.field_int(c, 'customer', what), kv.field_text(c, 'kind', what),
                kv.field_int(c, 'amount', what), kv.field_int(c, 'sale', what, false), kv.field_int(c, 'at', what),
                coalesce(kv.field_int(c, 'settlement', what, false), 0) <> 0);
    WHEN 'refund' THEN
        INSERT INTO kv.refunds(station_no, local_id, content, meter_number, shift_id, kind, energy, amount,
                               created_at)
        VALUES (me, lid, c, kv.field_int(c, 'meter', what), kv.field_int(c, 'shift', what),
                kv.field_text(c, 'kind', what), kv.field_int(c, 'energy', what), kv.field_int(c, 'amount', what),
                kv.field_int(c, 'created_at', what));
        IF jsonb_typeof(c -> 'parts') IS DISTINCT FROM 'array' THEN
            RAISE EXCEPTION '%: field "parts" is not an array', what USING ERRCODE = 'invalid_parameter_value';
        END IF;
        FOR p IN SELECT value FROM jsonb_array_elements(c -> 'parts') LOOP
            INSERT INTO kv.refund_parts(station_no, refund_id, sale_id, energy, amount)
            VALUES (me, lid, kv.field_int(p, 'sale', what || ' part'), kv.field_int(p, 'energy', what || ' part'),
                    kv.field_int(p, 'amount', what || ' part'));
        END LOOP;
    WHEN 'credit_clear' THEN
        INSERT INTO kv.credit_clears(station_no, local_id, content, meter_number, card_serial, cleared_total,
                                     amount, recorded_at)
        VALUES (me, lid, c, kv.field_int(c, 'meter', what), kv.field_int(c, 'card', what),
                kv.field_int(c, 'cleared_total', what), kv.field_int(c, 'amount', what),
                kv.field_int(c, 'recorded_at', what));
    END CASE;
END
$$;

-- ---- loaded above sold, across offices ----

-- The highest credit any readback says the meter loaded.
ALTER TABLE kv.meter_state ADD COLUMN rb_loaded bigint;

-- One open row per meter while its highest loaded credit is above what
-- every station sold it; cleared (not deleted) once later pushes cover it
-- (a sale made offline at another office and pushed after the readback).
CREATE TABLE kv.loaded_above_sold (
    id bigserial PRIMARY KEY,
    meter_number integer NOT NULL,
    rb_station integer NOT NULL,      -- the readback that shows it
    rb_local_id bigint NOT NULL,
    rb_counter bigint NOT NULL,
    read_at bigint NOT NULL,
    loaded bigint NOT NULL,
    sold bigint NOT NULL,             -- every station's completed, non-cancelled sales
    excess bigint NOT NULL CHECK (excess > 0),
    detected_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    cleared_at timestamptz,
    cleared_sold bigint               -- what was sold when it was cleared
);
CREATE UNIQUE INDEX loaded_above_sold_open ON kv.loaded_above_sold(meter_number) WHERE cleared_at IS NULL;

RESET ROLE;
ALTER FUNCTION kv.merge_meter(integer) RENAME TO merge_meter_sums;

CREATE FUNCTION kv.merge_meter(m integer) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rb record;
BEGIN
    -- The sums first (it locks the meter's state row), then the highest
    -- credit any readback says the meter loaded, against them.
    PERFORM kv.merge_meter_sums(m);
    SELECT ms.sold_energy, x.* INTO rb FROM kv.meter_state ms
        LEFT JOIN LATERAL (SELECT r.station_no, r.local_id, r.counter, r.read_at,
                                  (r.content ->> 'cumulative_loaded')::bigint AS loaded
                           FROM kv.readbacks r WHERE r.meter_number = m AND r.content ? 'cumulative_loaded'
                           ORDER BY 5 DESC, 3 DESC, 1, 2 LIMIT 1) x ON true
        WHERE ms.meter_number = m;
    UPDATE kv.meter_state SET rb_loaded = rb.loaded WHERE meter_number = m AND rb_loaded IS DISTINCT FROM rb.loaded;
    IF rb.loaded IS NOT NULL AND rb.loaded > rb.sold_energy THEN
        INSERT INTO kv.loaded_above_sold AS a (meter_number, rb_station, rb_local_id, rb_counter, read_at,
                                               loaded, sold, excess)
        VALUES (m, rb.station_no, rb.local_id, rb.counter, rb.read_at, rb.loaded, rb.sold_energy, rb.loaded - rb.sold_energy)
        ON CONFLICT (meter_number) WHERE cleared_at IS NULL DO UPDATE SET
            rb_station = EXCLUDED.rb_station, rb_local_id = EXCLUDED.rb_local_id,
            rb_counter = EXCLUDED.rb_counter, read_at = EXCLUDED.read_at, loaded = EXCLUDED.loaded,
            sold = EXCLUDED.sold, excess = EXCLUDED.excess, updated_at = now()
        WHERE (a.loaded, a.sold) IS DISTINCT FROM (EXCLUDED.loaded, EXCLUDED.sold);
    ELSE
        UPDATE kv.loaded_above_sold SET cleared_at = now(), cleared_sold = rb.sold_energy
            WHERE meter_number = m AND cleared_at IS NULL;
    END IF;
END
$$;
ALTER FUNCTION kv.merge_meter(integer) OWNER TO kv_central_merger;
REVOKE ALL ON FUNCTION kv.merge_meter(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv.merge_meter(integer) TO kv_central_owner;
GRANT SELECT, INSERT, UPDATE ON kv.loaded_above_sold TO kv_central_merger;
GRANT USAGE ON SEQUENCE kv.loaded_above_sold_id_seq TO kv_central_merger;

-- ---- debt: head office's own movements, the merged balance ----
SET LOCAL ROLE kv_central_owner;

-- Head office's own debt movements: the opening balance a customer was
-- registered with here, and head office's adjustments (kv.debt_adjust).
CREATE TABLE kv.debt_central (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES kv.customers(id),
    at timestamptz NOT NULL DEFAULT now(),
    kind text NOT NULL CHECK (kind IN ('opening', 'adjusted')),
    amount bigint NOT NULL CHECK (amount <> 0),
    reason text NOT NULL CHECK (length(reason) > 0),
    by_role text NOT NULL DEFAULT current_user
);
CREATE INDEX debt_central_customer ON kv.debt_central(customer_id);
CREATE TRIGGER debt_central_immutable BEFORE UPDATE OR DELETE ON kv.debt_central
    FOR EACH ROW EXECUTE FUNCTION kv.refuse_change();
INSERT INTO kv.debt_central(customer_id, kind, amount, reason)
    SELECT id, 'opening', debt, 'balance before debt was settled across offices' FROM kv.customers WHERE debt > 0;

-- What a station overpaid in total (paid at two offices while both were
-- offline): the balance is never below zero, the rest shows here.
ALTER TABLE kv.customers ADD COLUMN debt_overpaid bigint NOT NULL DEFAULT 0 CHECK (debt_overpaid >= 0);

-- A customer registered with a debt: its opening movement.
CREATE FUNCTION kv.customer_opening() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO kv.debt_central(customer_id, kind, amount, reason)
    VALUES (NEW.id, 'opening', NEW.debt, 'registered with this balance');
    RETURN NULL;
END
$$;
CREATE TRIGGER customers_opening AFTER INSERT ON kv.customers
    FOR EACH ROW WHEN (NEW.debt > 0) EXECUTE FUNCTION kv.customer_opening();

-- The balance is the merge's: anyone else changes it through kv.debt_adjust.
CREATE FUNCTION kv.customer_debt_merged() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF current_user <> 'kv_central_merger' THEN
        RAISE EXCEPTION 'kv.customers: the debt is the sum of its movements; use kv.debt_adjust(customer, amount, reason)'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER customers_debt_merged BEFORE UPDATE OF debt, debt_overpaid ON kv.customers
    FOR EACH ROW WHEN (NEW.debt IS DISTINCT FROM OLD.debt OR NEW.debt_overpaid IS DISTINCT FROM OLD.debt_overpaid)
    EXECUTE FUNCTION kv.customer_debt_merged();

RESET ROLE;
-- The merge: head office's movements and every station's (their
-- settlements excluded), locked on the customer's row so that two
-- stations' pushes for one customer add up.
CREATE FUNCTION kv.merge_debt(customer bigint) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    total bigint;
BEGIN
    PERFORM 1 FROM kv.customers c WHERE c.id = customer FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    total := coalesce((SELECT sum(d.amount) FROM kv.debt_central d WHERE d.customer_id = customer), 0)
           + coalesce((SELECT sum(d.amount) FROM kv.debt_movements d
                       WHERE d.customer_id = customer AND NOT d.settlement), 0);
    UPDATE kv.customers c SET debt = greatest(total, 0), debt_overpaid = greatest(-total, 0)
        WHERE c.id = customer AND (c.debt, c.debt_overpaid) IS DISTINCT FROM (greatest(total, 0), greatest(-total, 0));
END
$$;
ALTER FUNCTION kv.merge_debt(bigint) OWNER TO kv_central_merger;
REVOKE ALL ON FUNCTION kv.merge_debt(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv.merge_debt(bigint) TO kv_central_owner;
GRANT SELECT ON kv.debt_movements, kv.debt_central TO kv_central_merger;
GRANT SELECT, UPDATE ON kv.customers TO kv_central_merger;

SET LOCAL ROLE kv_central_owner;
-- Head office changes a customer's debt (a payment taken at head office, a
-- correction): a movement of its own, then the merge; the new balance
-- flows down to every station.
CREATE FUNCTION kv.debt_adjust(customer bigint, amount bigint, reason text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO kv.debt_central(customer_id, kind, amount, reason, by_role)
    VALUES (customer, 'adjusted', amount, reason, session_user);
    PERFORM kv.merge_debt(customer);
    RETURN (SELECT c.debt FROM kv.customers c WHERE c.id = customer);
END
$$;

-- ---- the station's calls, wrapped ----

ALTER FUNCTION kv_api.push(jsonb) RENAME TO push_records;
ALTER FUNCTION kv_api.push_records(jsonb) SET SCHEMA kv;
ALTER FUNCTION kv_api.pull(text) RENAME TO pull_master;
ALTER FUNCTION kv_api.pull_master(text) SET SCHEMA kv;
ALTER FUNCTION kv_api.recover() RENAME TO recover_base;
ALTER FUNCTION kv_api.recover_base() SET SCHEMA kv;

-- Push: the records (kv.push_records), then the debt of the customers the
-- batch's debt movements name (ascending: no deadlock).
CREATE FUNCTION kv_api.push(batch jsonb) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    res jsonb := kv.push_records(batch);
    cu bigint;
BEGIN
    IF res ->> 'status' = 'ok' THEN
        -- A replacement card arrived: the station's reservation of its
        -- meter is released (card_reservations is made further down).
        PERFORM kv.release_reservations(batch);
        FOR cu IN SELECT DISTINCT (r -> 'content' ->> 'customer')::bigint FROM jsonb_array_elements(batch) r
                  WHERE r ->> 'kind' = 'debt_movement' ORDER BY 1 LOOP
            PERFORM kv.merge_debt(cu);
        END LOOP;
    END IF;
    RETURN res;
END
$$;

-- Pull: as before, and the last debt movement head office holds of this
-- station (station.debt_head): the station's movements after it are not in
-- the balances yet.
CREATE FUNCTION kv_api.pull(since text DEFAULT NULL) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    res jsonb := kv.pull_master(since);
BEGIN
    RETURN jsonb_set(res, '{station,debt_head}',
                     to_jsonb((SELECT coalesce(max(d.local_id), 0) FROM kv.debt_movements d
                               WHERE d.station_no = kv.caller_station())));
END
$$;

-- Recover: as before, and the new records.
CREATE FUNCTION kv.records_of(tbl text, me integer) RETURNS jsonb LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    part jsonb;
BEGIN
    EXECUTE format('SELECT coalesce(jsonb_agg(jsonb_build_object(''id'', x.local_id, ''content'', x.content) '
                   'ORDER BY x.local_id), ''[]'') FROM kv.%I x WHERE x.station_no = $1', tbl) INTO part USING me;
    RETURN part;
END
$$;
CREATE FUNCTION kv_api.recover() RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    res jsonb := kv.recover_base();
    me integer := kv.caller_station();
BEGIN
    RETURN res || jsonb_build_object('payments', kv.records_of('payments', me),
                                     'debt_movements', kv.records_of('debt_movements', me),
                                     'refunds', kv.records_of('refunds', me),
                                     'credit_clears', kv.records_of('credit_clears', me));
END
$$;

-- ---- reports ----

-- A day (YYYY-MM-DD) or a month (YYYY-MM) in a time zone, as Unix seconds.
CREATE FUNCTION kv_report.span(period text, tz text DEFAULT 'UTC', OUT from_ts bigint, OUT to_ts bigint)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF period ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
        from_ts := kv_report.epoch(period::date::timestamp, tz);
        to_ts := kv_report.epoch((period::date + 1)::timestamp, tz);
    ELSIF period ~ '^[0-9]{4}-[0-9]{2}$' THEN
        from_ts := kv_report.epoch((period || '-01')::date::timestamp, tz);
        to_ts := kv_report.epoch((period || '-01')::date::timestamp + interval '1 month', tz);
    ELSE
        RAISE EXCEPTION '"%" is not a day (YYYY-MM-DD) or a month (YYYY-MM)', period
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

-- Revenue by payment type: sold sales (completed or cancelling) per
-- station, office and utility, each payment type its row ("unknown": the
-- sale's payment record has not come yet).
CREATE FUNCTION kv_report.payments(from_ts bigint, to_ts bigint)
    RETURNS TABLE (level text, office integer, station_no integer, payment text, sold bigint,
                   sold_amount bigint)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN grouping(st.office) = 1 THEN 'total'
                WHEN grouping(x.station_no) = 1 THEN 'office' ELSE 'station' END,
           st.office, x.station_no, coalesce(p.payment, 'unknown'), count(*), sum(x.amount)::bigint
    FROM kv_report.sales_in(from_ts, to_ts) x
    JOIN kv.stations st ON st.station_no = x.station_no
    LEFT JOIN kv.payments p ON p.station_no = x.station_no AND p.local_id = x.local_id
    WHERE x.state IN ('completed', 'cancelling')
    GROUP BY coalesce(p.payment, 'unknown'), ROLLUP (st.office, x.station_no)
    ORDER BY st.office NULLS LAST, x.station_no NULLS LAST, 4
$$;

-- Refunds paid out, per station, office and utility.
CREATE FUNCTION kv_report.refunds(from_ts bigint, to_ts bigint)
    RETURNS TABLE (level text, office integer, station_no integer, refunds bigint, energy bigint,
                   amount bigint, sales bigint)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN grouping(st.office) = 1 THEN 'total'
                WHEN grouping(r.station_no) = 1 THEN 'office' ELSE 'station' END,
           st.office, r.station_no, count(*), sum(r.energy)::bigint, sum(r.amount)::bigint,
           sum((SELECT count(*) FROM kv.refund_parts p
                WHERE p.station_no = r.station_no AND p.refund_id = r.local_id))::bigint
    FROM kv.refunds r
    JOIN kv.stations st ON st.station_no = r.station_no
    WHERE r.created_at >= from_ts AND r.created_at < to_ts
    GROUP BY ROLLUP (st.office, r.station_no)
    HAVING count(r.local_id) > 0
    ORDER BY st.office NULLS LAST, r.station_no NULLS LAST
$$;

-- Meters whose readback shows more loaded than every station sold (open
-- ones; with everything = true the cleared ones too).
CREATE FUNCTION kv_report.loaded_above_sold(everything boolean DEFAULT false)
    RETURNS TABLE (meter_number integer, account text, loaded bigint, sold bigint, excess bigint,
                   read_by integer, office integer, read_at bigint, detected_at timestamptz,
                   cleared_at timestamptz)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT a.meter_number, c.account, a.loaded, a.sold, a.excess, a.rb_station, st.office, a.read_at,
           a.detected_at, a.cleared_at
    FROM kv.loaded_above_sold a
    LEFT JOIN kv.stations st ON st.station_no = a.rb_station
    LEFT JOIN kv.meters m ON m.number = a.meter_number
    LEFT JOIN kv.customers c ON c.id = m.customer_id
    WHERE everything OR a.cleared_at IS NULL
    ORDER BY a.cleared_at IS NOT NULL, a.excess DESC, a.meter_number
$$;

-- Customers' debt across offices: the balance head office holds, what was
-- overpaid, and the movements behind it by where they were made.
CREATE FUNCTION kv_report.debts(everyone boolean DEFAULT false)
    RETURNS TABLE (account text, name text, debt bigint, overpaid bigint, head_office bigint,
                   stations bigint, recovered bigint, movements bigint)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.account, c.name, c.debt, c.debt_overpaid,
           coalesce((SELECT sum(d.amount) FROM kv.debt_central d WHERE d.customer_id = c.id), 0)::bigint,
           coalesce((SELECT sum(d.amount) FROM kv.debt_movements d
                     WHERE d.customer_id = c.id AND NOT d.settlement), 0)::bigint,
           coalesce((SELECT -sum(d.amount) FROM kv.debt_movements d
                     WHERE d.customer_id = c.id AND d.kind = 'recovered'), 0)::bigint,
           (SELECT count(*) FROM kv.debt_movements d WHERE d.customer_id = c.id AND NOT d.settlement)
    FROM kv.customers c
    WHERE everyone OR c.debt > 0 OR c.debt_overpaid > 0
    ORDER BY c.account
$$;

RESET ROLE;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA kv, kv_api, kv_report FROM PUBLIC;
REVOKE ALL ON FUNCTION kv.push_records(jsonb), kv.pull_master(text), kv.recover_base() FROM kv_station;
GRANT EXECUTE ON FUNCTION kv_api.push(jsonb), kv_api.pull(text), kv_api.recover() TO kv_station;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA kv_report TO kv_central_admin;

-- ---- card replacements reserved at head office ----
SET LOCAL ROLE kv_central_owner;

-- A card replacement is online-only at the station; head office records
-- who is replacing a meter's card, so that two offices cannot both do it
-- (each would accept only its own card afterwards).  A reservation holds
-- for an hour (the replacing station pushes its new card meanwhile); the
-- same station may reserve again (a card write that failed, retried).
CREATE TABLE kv.card_reservations (
    id bigserial PRIMARY KEY,
    meter_number integer NOT NULL,
    station_no integer NOT NULL REFERENCES kv.stations(station_no),
    reserved_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX card_reservations_meter ON kv.card_reservations(meter_number, expires_at);

-- Called by kv_api.push after a batch is applied: the pushing station's
-- reservations end once its replacement card (a card record that replaces
-- another) is at head office; the other offices learn of the new card at
-- their next pull.
CREATE FUNCTION kv.release_reservations(batch jsonb) RETURNS void LANGUAGE sql
    SET search_path = pg_catalog, pg_temp AS $$
    UPDATE kv.card_reservations SET expires_at = now()
    WHERE station_no = kv.caller_station() AND expires_at > now()
      AND meter_number IN (SELECT (r -> 'content' ->> 'meter')::integer FROM jsonb_array_elements(batch) r
                           WHERE r ->> 'kind' = 'card' AND jsonb_typeof(r -> 'content' -> 'replaces') = 'number')
$$;

CREATE FUNCTION kv_api.reserve_replacement(meter integer) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    other record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM kv.stations s WHERE s.station_no = kv.caller_station() AND s.active
                   AND s.sync_state = 'ok') THEN
        RAISE EXCEPTION 'kv_api.reserve_replacement: % is not an active station whose sync goes on', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- One reservation of a meter at a time (two stations at once: the
    -- second waits here, then sees the first's).
    PERFORM pg_advisory_xact_lock(4711, meter);
    SELECT r.station_no, r.expires_at INTO other FROM kv.card_reservations r
        WHERE r.meter_number = meter AND r.expires_at > now() AND r.station_no <> kv.caller_station()
        ORDER BY r.id DESC LIMIT 1;
    IF FOUND THEN
        RETURN jsonb_build_object('status', 'refused', 'station', other.station_no,
            'message', format('station %s is replacing the card of meter %s (reserved at head office until %s)',
                              other.station_no, meter, to_char(other.expires_at AT TIME ZONE 'UTC',
                                                               'YYYY-MM-DD HH24:MI "UTC"')));
    END IF;
    INSERT INTO kv.card_reservations(meter_number, station_no, expires_at)
    VALUES (meter, kv.caller_station(), now() + interval '1 hour') RETURNING card_reservations.id INTO other;
    RETURN jsonb_build_object('status', 'ok', 'id', other.id);
END
$$;
RESET ROLE;
REVOKE ALL ON FUNCTION kv_api.reserve_replacement(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kv_api.reserve_replacement(integer) TO kv_station;
